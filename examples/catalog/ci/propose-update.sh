#!/usr/bin/env bash
# Proposes this service's blueprint update for review; the scheduled CI job runs
# it (README, "Blueprint updates"):
#
#   ci/propose-update.sh github|gitlab
#
# Runs `svcgen update --no-input` in this (clean) checkout, commits the result
# on branch svcgen/<blueprint>-<version> and pushes that branch; on GitHub it
# then opens a pull request with `gh`, on GitLab the push opens a merge request
# (push options). An update that leaves conflicts is committed with its
# conflict markers and proposed as a draft that lists the files to resolve.
# Running it again proposes nothing new: a branch already on the remote is left
# alone (it may hold resolved conflicts), and a pull request is not opened twice.
# The checkout is left as it was (the commit is made beside it, then pushed).
#
# Environment:
#   SVCGEN_TARGET_BRANCH  the branch the request is for (required)
#   SVCGEN_PUSH_URL       where to push: default origin; on GitLab, by default
#                         built from SVCGEN_UPDATE_TOKEN and CI_SERVER_*
#   SVCGEN_UPDATE_TOKEN   GitLab: a project access token (write_repository)
#   GH_TOKEN, GH_REPO     GitHub: what gh uses
# Exit codes: 0 proposed (a draft with conflicts), already proposed or up to
# date; 1 error; 2 bad usage.
set -euo pipefail

usage() {
  echo "usage: $0 github|gitlab" >&2
  exit 2
}
(($# == 1)) || usage
platform="$1"
case "$platform" in
  github | gitlab) ;;
  *) usage ;;
esac

say() { printf 'propose-update: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

target="${SVCGEN_TARGET_BRANCH:-}"
[[ -n "$target" ]] || die "SVCGEN_TARGET_BRANCH is not set: name the branch the update is proposed to"
tools=(git jq svcgen)
[[ "$platform" == github ]] && tools+=(gh)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not on PATH"
done

push_url="${SVCGEN_PUSH_URL:-}"
if [[ -z "$push_url" && "$platform" == gitlab ]]; then
  # The job token cannot push: a project access token can.
  [[ -n "${SVCGEN_UPDATE_TOKEN:-}" ]] ||
    die "SVCGEN_UPDATE_TOKEN is not set: add a project access token (role Developer, scope write_repository) as a masked CI/CD variable"
  push_url="${CI_SERVER_PROTOCOL:-https}://svcgen:${SVCGEN_UPDATE_TOKEN}@${CI_SERVER_FQDN:?}/${CI_PROJECT_PATH:?}.git"
fi
push_url="${push_url:-origin}"

# CI checkouts have no committer.
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-svcgen}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-svcgen@users.noreply.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
plan="$work/plan.json"

# svcgen refuses a dirty checkout, so everything that differs afterwards is the
# update's own; exit code 3 means it left conflicts in the files.
status=0
svcgen update --no-input --plan json >"$plan" || status=$?
case "$status" in
  0 | 3) ;;
  *) die "svcgen update failed (exit $status); its messages are above" ;;
esac

# Puts the checkout back as it was before the update.
restore() {
  git reset --quiet --hard HEAD
  git clean --quiet -fd
}

if [[ -z "$(git status --porcelain --untracked-files=all)" ]]; then
  say "up to date: blueprint $(jq -r .blueprint "$plan") $(jq -r .to "$plan"), nothing to propose"
  exit 0
fi

service="$(jq -r .service "$plan")"
blueprint="$(jq -r .blueprint "$plan")"
from="$(jq -r .from "$plan")"
to="$(jq -r .to "$plan")"
branch="svcgen/$blueprint-$to"
git check-ref-format --branch "$branch" >/dev/null 2>&1 ||
  die "blueprint $blueprint version $to does not make a valid branch name ($branch)"
# A binary file both sides changed keeps ours; the blueprint's is written beside it.
mapfile -t conflicts < <(jq -r '.files[] | select((.conflicts // 0) > 0)
  | .path + (if .theirs_at then " (the blueprint'"'"'s version is in " + .theirs_at + ")" else "" end)' "$plan")
draft=""
[[ -z "${conflicts[*]}" ]] || draft=yes

title="Update $service to blueprint $blueprint $to"

# ---- the branch -------------------------------------------------------------
remote_status=0
git ls-remote --exit-code --heads "$push_url" "refs/heads/$branch" >/dev/null || remote_status=$?
case "$remote_status" in
  0) branch_exists=yes ;;
  2) branch_exists="" ;;
  *) die "cannot read the branches of the remote (git ls-remote exit $remote_status)" ;;
esac

if [[ -n "$branch_exists" ]]; then
  say "branch $branch is already on the remote: left as it is"
  restore
else
  {
    echo "$title"
    echo
    echo "From blueprint $blueprint $from, by \`svcgen update --no-input\` (ci/propose-update.sh)."
    if [[ -n "$draft" ]]; then
      echo
      echo "Conflicts to resolve (<<<<<<< markers):"
      printf -- '- %s\n' "${conflicts[@]}"
    fi
  } >"$work/message"
  git add --all
  commit="$(git commit-tree "$(git write-tree)" -p HEAD -F "$work/message")"
  restore
  push_options=()
  if [[ "$platform" == gitlab ]]; then
    # Push options are single lines: the description names the files only.
    description="svcgen update: blueprint $blueprint $from to $to."
    [[ -z "$draft" ]] || description+=" Conflicts to resolve: $(printf '%s, ' "${conflicts[@]}" | sed 's/, $//')."
    push_options=(-o merge_request.create -o "merge_request.target=$target"
      -o "merge_request.title=${draft:+Draft: }$title" -o "merge_request.description=$description"
      -o merge_request.remove_source_branch)
    [[ -z "$draft" ]] || push_options+=(-o merge_request.draft)
  fi
  git push --quiet "${push_options[@]}" "$push_url" "$commit:refs/heads/$branch"
  say "pushed $branch"
  if [[ "$platform" == gitlab ]]; then
    say "merge request for $branch into $target requested${draft:+ as a draft}"
  fi
fi

# ---- the pull request (GitHub) ----------------------------------------------
if [[ "$platform" == github ]]; then
  states="$(gh pr list --head "$branch" --state all --json number,state --jq '.[].state')"
  if grep -qx OPEN <<<"$states"; then
    say "a pull request for $branch is already open"
  elif [[ -n "$states" && -n "$branch_exists" ]]; then
    say "the pull request for $branch was closed; delete the branch to have it proposed again"
  else
    {
      echo "\`svcgen update\` brings this service from blueprint \`$blueprint\` $from to $to, keeping this repository's edits."
      echo
      if [[ -n "$draft" ]]; then
        echo "**Conflicts to resolve before merging.** The update changed lines this repository changed too; these files carry \`<<<<<<< yours\` / \`>>>>>>> blueprint\` markers:"
        echo
        printf -- "- \`%s\`\n" "${conflicts[@]}"
        echo
        echo "Resolve them on this branch and push; then mark the pull request ready for review. The \`blueprint\` CI job fails while markers remain."
        echo
      fi
      echo "Files:"
      echo
      jq -r '.files[] | "- `" + .path + "`: " + .outcome' "$plan"
    } >"$work/body.md"
    gh_args=(--base "$target" --head "$branch" --title "$title" --body-file "$work/body.md")
    [[ -z "$draft" ]] || gh_args+=(--draft)
    gh pr create "${gh_args[@]}"
    say "pull request for $branch opened${draft:+ as a draft}"
  fi
fi
