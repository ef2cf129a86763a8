//! "Did you mean": the declared variable a misspelt name is most likely meant to be, for the
//! messages of `svcgen blueprint lint` and of `[[upgrade_tests]]` answers.

use crate::blueprint::Manifest;
use crate::blueprint::manifest::NAME_VARIABLE;

/// ` (did you mean `port`?)` when a declared variable is one edit away.
pub(crate) fn suggestion(name: &str, manifest: &Manifest) -> String {
    manifest
        .variables
        .iter()
        .map(|v| v.name.as_str())
        .chain([NAME_VARIABLE])
        .find(|candidate| close(name, candidate))
        .map(|candidate| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default()
}

/// Edit distance of at most one, or two swapped neighbours.
fn close(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return false;
    }
    if a.len() == b.len() {
        let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        return diffs.len() == 1
            || (diffs.len() == 2
                && diffs[1] == diffs[0] + 1
                && a[diffs[0]] == b[diffs[1]]
                && a[diffs[1]] == b[diffs[0]]);
    }
    let (short, long) = if a.len() < b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() != 1 {
        return false;
    }
    let skip = (0..short.len())
        .find(|&i| short[i] != long[i])
        .unwrap_or(short.len());
    short[skip..] == long[skip + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        assert!(close("prot", "port"));
        assert!(close("port", "ports"));
        assert!(close("por", "port"));
        assert!(close("pxrt", "port"));
        assert!(!close("db", "port"));
        assert!(!close("port", "port"));
    }
}
