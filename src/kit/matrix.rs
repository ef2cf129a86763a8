//! The variants a blueprint is tested with: its named `[[tests]]` answer sets, plus a pairwise
//! (all-pairs) covering set over its bool and choice variables.
//!
//! Rendering every combination grows exponentially; most template bugs need only two variables
//! to meet (a CI choice and an optional feature), so every pair of values of two variables is
//! made to appear in at least one variant. The covering set is built by one algorithm, IPOG
//! (in-parameter-order), and is deterministic: the same blueprint always gives the same
//! variants, so their snapshots keep their names.
//!
//! `when` is honoured: a variable whose condition is false is not asked and takes its default,
//! so a pair is only counted as covered when both variables were really asked. IPOG plans from
//! the declared values alone; a pair a `when` hid in its rows is placed again, the way IPOG
//! places pairs, with values for the variables that decide whether its two are asked. A pair no
//! such values exist for can appear in no variant; it is counted in
//! [`Matrix::unreachable_pairs`].

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::usage;
use crate::answers::{Answers, GivenAnswers, Value, VarType};
use crate::blueprint::Blueprint;
use crate::blueprint::manifest::{Default, NAME_VARIABLE};
use crate::name::validate_service_name;
use crate::resolve::resolve_answers;
use crate::template;

/// The service name variants are rendered with, unless an answer set gives `name`.
pub(crate) const DEFAULT_SERVICE_NAME: &str = "catalog";

/// Names of pairwise variants start with this; `[[tests]]` may not use it.
pub(crate) const PAIRWISE_PREFIX: &str = "pairwise-";

/// Variant names become file names (`<blueprint>__<variant>.snap`); longer ones are shortened
/// with a hash so they stay well under file-name limits.
const MAX_NAME_LEN: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The `[[tests]]` entry at this index.
    Test(usize),
    Pairwise,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub name: String,
    pub origin: Origin,
    /// Every variable's resolved value, `name` first.
    pub answers: Answers,
    /// What the variant sets, as `variable = value`: a test's answers, or the pairwise values
    /// that were asked. Everything else took its default.
    pub(crate) given: Vec<String>,
}

impl Variant {
    /// `ci = gitlab, example_resource = false`, or `defaults`: for messages.
    pub fn summary(&self) -> String {
        if self.given.is_empty() {
            "defaults".to_owned()
        } else {
            self.given.join(", ")
        }
    }
}

/// Why an answer set could not become a variant.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The `[[tests]]` entry at fault, if it is one.
    pub(crate) test: Option<usize>,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Matrix {
    pub variants: Vec<Variant>,
    pub problems: Vec<Problem>,
    /// The bool and choice variables the pairwise set runs over.
    pub parameters: Vec<String>,
    /// Pairs of values no answers can ask together, because of `when`s.
    pub unreachable_pairs: usize,
}

/// A variable the pairwise set varies, and its values in a fixed order.
struct Parameter {
    variable: usize,
    values: Vec<Value>,
}

/// One pair of (parameter, value index) assignments; `(p, a, p, a)` stands for a single value
/// when there is only one parameter.
type Pair = (usize, usize, usize, usize);

pub fn build(blueprint: &Blueprint) -> Matrix {
    let manifest = &blueprint.manifest;
    let manifest_file = blueprint.manifest_path();
    let mut matrix = Matrix::default();

    for (index, set) in manifest.tests.iter().enumerate() {
        let problem = |message: String| Problem {
            test: Some(index),
            message: format!("[[tests]] `{}`: {message}", set.name),
        };
        if let Err(reason) = check_variant_name(&set.name) {
            matrix.problems.push(problem(reason));
            continue;
        }
        let service_name = match set.answers.get(NAME_VARIABLE) {
            None => DEFAULT_SERVICE_NAME.to_owned(),
            Some(toml::Value::String(name)) => name.clone(),
            Some(other) => {
                matrix.problems.push(problem(format!(
                    "`name` must be a string, found {}",
                    other.type_str()
                )));
                continue;
            }
        };
        if let Err(err) = validate_service_name(&service_name) {
            matrix.problems.push(problem(err.to_string()));
            continue;
        }
        let mut values = set.answers.clone();
        values.shift_remove(NAME_VARIABLE);
        let given = GivenAnswers::from_values(values);
        match resolve_answers(manifest, &manifest_file, &service_name, &given, None) {
            Ok(answers) => matrix.variants.push(Variant {
                name: set.name.clone(),
                origin: Origin::Test(index),
                answers,
                given: set
                    .answers
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect(),
            }),
            Err(err) => matrix.problems.push(problem(err.to_string())),
        }
    }

    let parameters: Vec<Parameter> = manifest
        .variables
        .iter()
        .enumerate()
        .filter_map(|(variable, v)| {
            let values = match v.kind {
                VarType::Bool => vec![Value::Bool(true), Value::Bool(false)],
                VarType::Choice => v.choices.iter().cloned().map(Value::String).collect(),
                _ => return None,
            };
            Some(Parameter { variable, values })
        })
        .collect();
    matrix.parameters = parameters
        .iter()
        .map(|p| manifest.variables[p.variable].name.clone())
        .collect();
    if parameters.is_empty() && !matrix.variants.is_empty() {
        return matrix;
    }

    // Variables that the pairwise rows do not vary keep their defaults; one without a default
    // takes its value from the first answer set that gives one.
    let mut base: IndexMap<String, toml::Value> = IndexMap::new();
    for (index, variable) in manifest.variables.iter().enumerate() {
        if variable.default.is_some() || parameters.iter().any(|p| p.variable == index) {
            continue;
        }
        match manifest
            .tests
            .iter()
            .find_map(|set| set.answers.get(&variable.name))
        {
            Some(value) => {
                base.insert(variable.name.clone(), value.clone());
            }
            None => {
                matrix.problems.push(Problem {
                    test: None,
                    message: format!(
                        "variable `{}` has no default and no [[tests]] answer set gives it a value, so the pairwise variants cannot be rendered; give it a default or answer it in a [[tests]] entry",

                        variable.name
                    ),
                });
                return matrix;
            }
        }
    }

    if parameters.is_empty() {
        // Nothing to vary and no [[tests]]: the defaults are the one variant, so that the
        // blueprint is still rendered (and linted) at least once.
        add_row(
            blueprint,
            &parameters,
            &base,
            &[],
            &mut matrix,
            &mut BTreeSet::new(),
        );
        return matrix;
    }

    let mut pending = all_pairs(&parameters);
    let covered_by_tests: Vec<Pair> = matrix
        .variants
        .iter()
        .flat_map(|v| covered_pairs(&effective(blueprint, &parameters, &v.answers)))
        .collect();
    for pair in covered_by_tests {
        pending.remove(&pair);
    }

    // Rows planned from the declared values alone, then resolved: a `when` can still hide a
    // planned value, so each pair left over is placed again with values that ask both of its
    // variables.
    let planned = in_parameter_order(&parameters, &pending);
    for row in complete(blueprint, &parameters, planned) {
        add_row(
            blueprint,
            &parameters,
            &base,
            &row,
            &mut matrix,
            &mut pending,
        );
    }
    let mut replanned = Vec::new();
    for pair in pending.clone() {
        match asking_assignment(blueprint, &parameters, &base, pair) {
            Some(assignment) => {
                place(&mut replanned, &assignment, parameters.len());
            }
            None => {
                pending.remove(&pair);
                matrix.unreachable_pairs += 1;
            }
        }
    }
    for row in complete(blueprint, &parameters, replanned) {
        add_row(
            blueprint,
            &parameters,
            &base,
            &row,
            &mut matrix,
            &mut pending,
        );
    }
    // Each assignment was resolved before it was placed and the parameters it leaves free do not
    // decide its pair, so nothing is left; if the analysis of what decides a `when` ever misses
    // a variable, the pair is counted rather than claimed covered.
    matrix.unreachable_pairs += pending.len();
    matrix
}

/// Variant names end up in file names: letters, digits, `.`, `_`, `-`, not starting with `.`.
pub(crate) fn check_variant_name(name: &str) -> Result<(), String> {
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= MAX_NAME_LEN;
    if !valid {
        return Err(format!(
            "the name must be 1 to {MAX_NAME_LEN} letters, digits, `.`, `_` or `-`, starting with a letter or digit, since it names a snapshot file"
        ));
    }
    if name.starts_with(PAIRWISE_PREFIX) {
        return Err(format!(
            "names starting with `{PAIRWISE_PREFIX}` are kept for the pairwise variants"
        ));
    }
    Ok(())
}

fn all_pairs(parameters: &[Parameter]) -> BTreeSet<Pair> {
    let mut pairs = BTreeSet::new();
    if parameters.len() == 1 {
        for a in 0..parameters[0].values.len() {
            pairs.insert((0, a, 0, a));
        }
        return pairs;
    }
    for i in 0..parameters.len() {
        for j in i + 1..parameters.len() {
            for a in 0..parameters[i].values.len() {
                for b in 0..parameters[j].values.len() {
                    pairs.insert((i, a, j, b));
                }
            }
        }
    }
    pairs
}

/// For each parameter, the index of its resolved value when the variable was asked (its `when`
/// held), `None` when it only took its default.
fn effective(
    blueprint: &Blueprint,
    parameters: &[Parameter],
    answers: &Answers,
) -> Vec<Option<usize>> {
    let context = template::context(answers);
    parameters
        .iter()
        .map(|parameter| {
            let variable = &blueprint.manifest.variables[parameter.variable];
            let asked = match &variable.when {
                None => true,
                Some(condition) => template::eval_condition(condition, &context).unwrap_or(false),
            };
            let value = answers.get(&variable.name)?;
            asked
                .then(|| parameter.values.iter().position(|v| v == value))
                .flatten()
        })
        .collect()
}

fn covered_pairs(asked: &[Option<usize>]) -> Vec<Pair> {
    if asked.len() == 1 {
        return asked[0].map(|a| (0, a, 0, a)).into_iter().collect();
    }
    let mut pairs = Vec::new();
    for i in 0..asked.len() {
        for j in i + 1..asked.len() {
            if let (Some(a), Some(b)) = (asked[i], asked[j]) {
                pairs.push((i, a, j, b));
            }
        }
    }
    pairs
}

/// The answers of a row: its values for the parameters, `base` for the rest.
fn resolve_row(
    blueprint: &Blueprint,
    parameters: &[Parameter],
    base: &IndexMap<String, toml::Value>,
    row: &[usize],
) -> crate::error::Result<Answers> {
    let manifest = &blueprint.manifest;
    let mut values = base.clone();
    for (parameter, &value) in parameters.iter().zip(row) {
        values.insert(
            manifest.variables[parameter.variable].name.clone(),
            parameter.values[value].to_toml(),
        );
    }
    let given = GivenAnswers::from_values(values);
    resolve_answers(
        manifest,
        &blueprint.manifest_path(),
        DEFAULT_SERVICE_NAME,
        &given,
        None,
    )
}

/// Resolves one planned row into a variant (unless an earlier variant has the same answers),
/// and returns the pairs it really covers, which leave `pending`.
fn add_row(
    blueprint: &Blueprint,
    parameters: &[Parameter],
    base: &IndexMap<String, toml::Value>,
    row: &[usize],
    matrix: &mut Matrix,
    pending: &mut BTreeSet<Pair>,
) -> Vec<Pair> {
    let manifest = &blueprint.manifest;
    let answers = match resolve_row(blueprint, parameters, base, row) {
        Ok(answers) => answers,
        Err(err) => {
            let assigned = describe_row(blueprint, parameters, row);
            matrix.problems.push(Problem {
                test: None,
                message: format!("pairwise answers {assigned}: {err}"),
            });
            // Nothing is covered, but the pairs this row was for must not be retried forever.
            let planned = covered_pairs(&row.iter().copied().map(Some).collect::<Vec<_>>());
            for pair in &planned {
                pending.remove(pair);
            }
            return planned;
        }
    };
    let asked = effective(blueprint, parameters, &answers);
    let covered = covered_pairs(&asked);
    for pair in &covered {
        pending.remove(pair);
    }
    if !matrix.variants.iter().any(|v| v.answers == answers) {
        let given = parameters
            .iter()
            .zip(&asked)
            .filter_map(|(p, v)| {
                let name = &manifest.variables[p.variable].name;
                Some(format!("{name} = {}", p.values[(*v)?]))
            })
            .collect();
        matrix.variants.push(Variant {
            name: pairwise_name(blueprint, parameters, &asked),
            origin: Origin::Pairwise,
            answers,
            given,
        });
    }
    covered
}

/// IPOG (in-parameter-order) for pairs: start with every uncovered pair of the two parameters
/// with the most values, then add one parameter at a time, first choosing its value in the
/// existing rows (horizontal growth) and then adding or completing rows for the pairs still
/// missing (vertical growth, [`place`]). Values no pair needs are left free (`None`).
fn in_parameter_order(
    parameters: &[Parameter],
    uncovered: &BTreeSet<Pair>,
) -> Vec<Vec<Option<usize>>> {
    let n = parameters.len();
    let mut uncovered = uncovered.clone();
    let pair = |q: usize, a: usize, p: usize, b: usize| {
        if q < p { (q, a, p, b) } else { (p, b, q, a) }
    };
    let mut rows: Vec<Vec<Option<usize>>> = Vec::new();
    if n == 1 {
        rows = uncovered
            .iter()
            .map(|&(_, a, _, _)| vec![Some(a)])
            .collect();
    } else {
        // Most values first; the stable sort keeps declaration order among equals.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&p| std::cmp::Reverse(parameters[p].values.len()));
        let (first, second) = (order[0], order[1]);
        for a in 0..parameters[first].values.len() {
            for b in 0..parameters[second].values.len() {
                if uncovered.remove(&pair(first, a, second, b)) {
                    let mut row = vec![None; n];
                    row[first] = Some(a);
                    row[second] = Some(b);
                    rows.push(row);
                }
            }
        }
        for k in 2..n {
            let p = order[k];
            let earlier = &order[..k];
            for row in rows.iter_mut() {
                let gain = |value: usize| {
                    earlier
                        .iter()
                        .filter(|&&q| {
                            row[q].is_some_and(|a| uncovered.contains(&pair(q, a, p, value)))
                        })
                        .count()
                };
                let best = (0..parameters[p].values.len())
                    .max_by_key(|&value| (gain(value), std::cmp::Reverse(value)))
                    .expect("every parameter has at least one value");
                if gain(best) > 0 {
                    row[p] = Some(best);
                    for &q in earlier {
                        if let Some(a) = row[q] {
                            uncovered.remove(&pair(q, a, p, best));
                        }
                    }
                }
            }
            for &q in earlier {
                for a in 0..parameters[q].values.len() {
                    for b in 0..parameters[p].values.len() {
                        if !uncovered.contains(&pair(q, a, p, b)) {
                            continue;
                        }
                        let index = place(&mut rows, &[(q, a), (p, b)], n);
                        let row = &rows[index];
                        for &r in &order[..=k] {
                            for &s in &order[..=k] {
                                if let (Some(x), Some(y)) = (row[r], row[s])
                                    && r < s
                                {
                                    uncovered.remove(&(r, x, s, y));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    rows
}

/// IPOG's vertical growth: sets `assignment`'s (parameter, value index) entries in the first row
/// that has none of those parameters set to another value, or in a new row; returns the row's
/// index.
fn place(rows: &mut Vec<Vec<Option<usize>>>, assignment: &[(usize, usize)], width: usize) -> usize {
    let fits = |row: &Vec<Option<usize>>| {
        assignment
            .iter()
            .all(|&(p, value)| row[p].is_none_or(|set| set == value))
    };
    let index = match rows.iter().position(fits) {
        Some(index) => index,
        None => {
            rows.push(vec![None; width]);
            rows.len() - 1
        }
    };
    for &(p, value) in assignment {
        rows[index][p] = Some(value);
    }
    index
}

/// Planned rows with every free value set to the parameter's default.
fn complete(
    blueprint: &Blueprint,
    parameters: &[Parameter],
    rows: Vec<Vec<Option<usize>>>,
) -> Vec<Vec<usize>> {
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .enumerate()
                .map(|(p, value)| value.unwrap_or_else(|| default_index(blueprint, &parameters[p])))
                .collect()
        })
        .collect()
}

/// How many combinations of the deciding parameters [`asking_assignment`] tries before it takes
/// a pair to be unreachable. Each try resolves every answer; `when` chains are short, so only
/// conditions that read eight bools or more at once get here.
const MAX_COMBINATIONS: usize = 256;

/// Values for `pair`'s two parameters and for the parameters that decide whether they are asked
/// ([`deciding_parameters`]) under which both are asked, as (parameter, value index) entries.
/// Combinations are tried in order, each resolved with every other parameter at its default
/// (those cannot change the outcome); `None` when none asks both.
fn asking_assignment(
    blueprint: &Blueprint,
    parameters: &[Parameter],
    base: &IndexMap<String, toml::Value>,
    pair: Pair,
) -> Option<Vec<(usize, usize)>> {
    let (i, a, j, b) = pair;
    let deciding = deciding_parameters(blueprint, parameters, &[i, j]);
    let sizes: Vec<usize> = deciding
        .iter()
        .map(|&p| parameters[p].values.len())
        .collect();
    let combinations = sizes
        .iter()
        .try_fold(1usize, |total, &size| total.checked_mul(size))
        .unwrap_or(usize::MAX);
    let defaults: Vec<usize> = parameters
        .iter()
        .map(|parameter| default_index(blueprint, parameter))
        .collect();
    for combination in 0..combinations.min(MAX_COMBINATIONS) {
        let mut assignment = vec![(i, a), (j, b)];
        let mut rest = combination;
        for (&p, &size) in deciding.iter().zip(&sizes) {
            assignment.push((p, rest % size));
            rest /= size;
        }
        let mut row = defaults.clone();
        for &(p, value) in &assignment {
            row[p] = value;
        }
        let Ok(answers) = resolve_row(blueprint, parameters, base, &row) else {
            continue;
        };
        let asked = effective(blueprint, parameters, &answers);
        if asked[i] == Some(a) && asked[j] == Some(b) {
            return Some(assignment);
        }
    }
    None
}

/// The parameters, other than `of`, whose values can decide whether the parameters `of` are
/// asked: those their `when`s read and, since a variable's value depends on its own `default`
/// and `when`, those read by the variables on the way, transitively.
fn deciding_parameters(
    blueprint: &Blueprint,
    parameters: &[Parameter],
    of: &[usize],
) -> Vec<usize> {
    let variables = &blueprint.manifest.variables;
    let mut stack: Vec<usize> = of
        .iter()
        .flat_map(|&p| when_reads(blueprint, parameters[p].variable))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(variable) = stack.pop() {
        if !seen.insert(variable) {
            continue;
        }
        stack.extend(when_reads(blueprint, variable));
        if let Some(Default::Template(source)) = &variables[variable].default {
            stack.extend(names_to_variables(
                blueprint,
                variable,
                usage::template_variables(source),
            ));
        }
    }
    (0..parameters.len())
        .filter(|p| !of.contains(p) && seen.contains(&parameters[*p].variable))
        .collect()
}

/// The variables the `when` of `variable` reads.
fn when_reads(blueprint: &Blueprint, variable: usize) -> Vec<usize> {
    match &blueprint.manifest.variables[variable].when {
        None => Vec::new(),
        Some(condition) => {
            names_to_variables(blueprint, variable, usage::condition_variables(condition))
        }
    }
}

/// Names read by an expression of `variable`, as variable indices; every variable declared
/// before it when the expression does not parse (lint reports that), since any of them could
/// be what it reads.
fn names_to_variables(
    blueprint: &Blueprint,
    variable: usize,
    names: Result<Vec<String>, String>,
) -> Vec<usize> {
    let variables = &blueprint.manifest.variables;
    match names {
        Ok(names) => names
            .iter()
            .filter_map(|name| variables.iter().position(|v| &v.name == name))
            .collect(),
        Err(_) => (0..variable).collect(),
    }
}

/// The position of a parameter's default among its values (the first value when the default
/// is a template or absent).
fn default_index(blueprint: &Blueprint, parameter: &Parameter) -> usize {
    match &blueprint.manifest.variables[parameter.variable].default {
        Some(Default::Literal(value)) => parameter
            .values
            .iter()
            .position(|v| v == value)
            .unwrap_or(0),
        _ => 0,
    }
}

fn describe_row(blueprint: &Blueprint, parameters: &[Parameter], row: &[usize]) -> String {
    if row.is_empty() {
        return "(the defaults)".to_owned();
    }
    parameters
        .iter()
        .zip(row)
        .map(|(p, &v)| {
            format!(
                "{} = {}",
                blueprint.manifest.variables[p.variable].name, p.values[v]
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `pairwise-ci=gitlab-example_resource=false`: the asked parameters and their values, so a
/// snapshot's file name says what it holds.
fn pairwise_name(
    blueprint: &Blueprint,
    parameters: &[Parameter],
    asked: &[Option<usize>],
) -> String {
    let parts: Vec<String> = parameters
        .iter()
        .zip(asked)
        .filter_map(|(p, v)| {
            let value = &p.values[(*v)?];
            Some(format!(
                "{}={}",
                blueprint.manifest.variables[p.variable].name,
                sanitize(&value.to_string())
            ))
        })
        .collect();
    let name = if parts.is_empty() {
        format!("{PAIRWISE_PREFIX}defaults")
    } else {
        format!("{PAIRWISE_PREFIX}{}", parts.join("-"))
    };
    if name.len() <= MAX_NAME_LEN {
        return name;
    }
    let mut cut = MAX_NAME_LEN - 17;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{:016x}", &name[..cut], fnv1a(&name))
}

fn sanitize(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A hash that never changes between Rust releases (unlike `DefaultHasher`), since it ends up
/// in committed file names.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::SourceFile;
    use crate::tree::Mode;

    fn blueprint(body: &str) -> Blueprint {
        let files = vec![SourceFile {
            path: "blueprint.toml".into(),
            contents: format!("[blueprint]\nname = \"t\"\nversion = \"1.0.0\"\n{body}")
                .into_bytes()
                .into(),
            mode: Mode::Regular,
        }];
        Blueprint::from_files("bp", files).unwrap()
    }

    fn bools(n: usize) -> String {
        (0..n)
            .map(|i| format!("[variables.b{i}]\ntype = \"bool\"\ndefault = false\n"))
            .collect()
    }

    /// Every pair of values of every two parameters appears in some variant.
    fn assert_all_pairs(bp: &Blueprint, matrix: &Matrix) {
        let names = &matrix.parameters;
        for (i, x) in names.iter().enumerate() {
            for y in &names[i + 1..] {
                let vx = values_of(bp, x);
                let vy = values_of(bp, y);
                for a in &vx {
                    for b in &vy {
                        assert!(
                            matrix
                                .variants
                                .iter()
                                .any(|v| &v.answers[x] == a && &v.answers[y] == b),
                            "pair {x}={a} {y}={b} is not covered"
                        );
                    }
                }
            }
        }
    }

    fn values_of(bp: &Blueprint, name: &str) -> Vec<Value> {
        let v = bp.manifest.variable(name).unwrap();
        match v.kind {
            VarType::Bool => vec![Value::Bool(true), Value::Bool(false)],
            _ => v.choices.iter().cloned().map(Value::String).collect(),
        }
    }

    #[test]
    fn ten_bools_need_far_fewer_than_1024_variants() {
        let bp = blueprint(&bools(10));
        let matrix = build(&bp);
        assert!(matrix.problems.is_empty(), "{:?}", matrix.problems);
        assert_all_pairs(&bp, &matrix);
        assert!(
            // The best known covering array for ten bools has 6 rows; IPOG gets close.
            matrix.variants.len() <= 10,
            "{} variants",
            matrix.variants.len()
        );
    }

    #[test]
    fn choices_and_bools_mixed() {
        let body = format!(
            "{}[variables.ci]\ntype = \"choice\"\nchoices = [\"github\", \"gitlab\", \"none\"]\ndefault = \"github\"\n[variables.db]\ntype = \"choice\"\nchoices = [\"pg\", \"mysql\", \"sqlite\", \"none\"]\ndefault = \"pg\"\n",
            bools(3)
        );
        let bp = blueprint(&body);
        let matrix = build(&bp);
        assert_all_pairs(&bp, &matrix);
        // 3 x 4 pairs of the two choices alone need 12 rows; the bools ride along.
        let count = matrix.variants.len();
        assert!((12..=14).contains(&count), "{count} variants");
    }

    #[test]
    fn deterministic_and_named_by_values() {
        let body = "[variables.ci]\ntype = \"choice\"\nchoices = [\"github\", \"none\"]\ndefault = \"github\"\n[variables.db]\ntype = \"bool\"\ndefault = true\n";
        let a: Vec<String> = build(&blueprint(body))
            .variants
            .into_iter()
            .map(|v| v.name)
            .collect();
        let b: Vec<String> = build(&blueprint(body))
            .variants
            .into_iter()
            .map(|v| v.name)
            .collect();
        assert_eq!(a, b);
        assert_eq!(
            a,
            [
                "pairwise-ci=github-db=true",
                "pairwise-ci=github-db=false",
                "pairwise-ci=none-db=true",
                "pairwise-ci=none-db=false"
            ]
        );
    }

    #[test]
    fn named_tests_count_towards_coverage() {
        let body = "[variables.ci]\ntype = \"bool\"\ndefault = true\n[variables.db]\ntype = \"bool\"\ndefault = true\n[[tests]]\nname = \"defaults\"\n[[tests]]\nname = \"bare\"\nanswers = { ci = false, db = false }\n";
        let matrix = build(&blueprint(body));
        let names: Vec<&str> = matrix.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "defaults",
                "bare",
                "pairwise-ci=true-db=false",
                "pairwise-ci=false-db=true"
            ]
        );
    }

    #[test]
    fn when_false_pairs_are_unreachable_not_faked() {
        // `kind` is only asked when `resource` is on: (resource=false, kind=x) cannot exist.
        let body = "[variables.resource]\ntype = \"bool\"\ndefault = true\n[variables.kind]\ntype = \"choice\"\nchoices = [\"a\", \"b\"]\ndefault = \"a\"\nwhen = \"resource\"\n";
        let matrix = build(&blueprint(body));
        let names: Vec<&str> = matrix.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "pairwise-resource=true-kind=a",
                "pairwise-resource=true-kind=b",
                "pairwise-resource=false"
            ]
        );
        assert_eq!(matrix.unreachable_pairs, 2);
    }

    #[test]
    fn a_blueprint_with_nothing_to_vary_is_rendered_once_with_defaults() {
        let matrix = build(&blueprint(
            "[variables.team]\ntype = \"string\"\ndefault = \"core\"\n",
        ));
        let names: Vec<&str> = matrix.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["pairwise-defaults"]);
        assert_eq!(matrix.variants[0].summary(), "defaults");
        let with_test = build(&blueprint(
            "[variables.team]\ntype = \"string\"\ndefault = \"core\"\n[[tests]]\nname = \"a\"\n",
        ));
        assert_eq!(with_test.variants.len(), 1);
    }

    #[test]
    fn single_parameter_covers_each_value() {
        let body = "[variables.ci]\ntype = \"bool\"\ndefault = true\n[[tests]]\nname = \"no-ci\"\nanswers = { ci = false }\n";
        let matrix = build(&blueprint(body));
        let names: Vec<&str> = matrix.variants.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["no-ci", "pairwise-ci=true"]);
    }

    #[test]
    fn required_strings_come_from_tests_or_are_a_problem() {
        let body = "[variables.team]\ntype = \"string\"\n[variables.ci]\ntype = \"bool\"\ndefault = true\n";
        let matrix = build(&blueprint(body));
        assert!(matrix.problems[0].message.contains("`team` has no default"));
        let matrix = build(&blueprint(&format!(
            "{body}[[tests]]\nname = \"a\"\nanswers = {{ team = \"core\" }}\n"
        )));
        assert!(matrix.problems.is_empty(), "{:?}", matrix.problems);
        assert!(
            matrix
                .variants
                .iter()
                .all(|v| v.answers["team"] == Value::String("core".into()))
        );
    }

    #[test]
    fn bad_test_names_and_answers_are_problems() {
        let body = "[variables.ci]\ntype = \"bool\"\ndefault = true\n[[tests]]\nname = \"a/b\"\n[[tests]]\nname = \"typo\"\nanswers = { cii = true }\n";
        let matrix = build(&blueprint(body));
        assert_eq!(matrix.problems.len(), 2);
        assert_eq!(matrix.problems[0].test, Some(0));
        assert!(
            matrix.problems[1].message.contains("`cii`"),
            "{:?}",
            matrix.problems
        );
    }

    #[test]
    fn long_names_are_shortened_stably() {
        let body: String = (0..12)
            .map(|i| {
                format!("[variables.a_rather_long_flag_{i}]\ntype = \"bool\"\ndefault = false\n")
            })
            .collect();
        let matrix = build(&blueprint(&body));
        for variant in &matrix.variants {
            assert!(variant.name.len() <= MAX_NAME_LEN, "{}", variant.name);
            assert!(
                variant
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-=".contains(c)),
                "{}",
                variant.name
            );
        }
    }

    #[test]
    fn a_pair_hidden_by_a_default_is_planned_with_the_values_that_ask_it() {
        // `pages` is asked only when `managed` is off, and `managed` defaults to on: the rows
        // planned from the declared values ask `pages` with one value of `docs` each, and the
        // other two pairs need `managed = false` set for them.
        let body = "[variables.docs]\ntype = \"bool\"\ndefault = false\n[variables.managed]\ntype = \"bool\"\ndefault = true\n[variables.pages]\ntype = \"bool\"\ndefault = true\nwhen = \"not managed\"\n";
        let matrix = build(&blueprint(body));
        let asks = |docs: bool, pages: bool| {
            matrix.variants.iter().any(|v| {
                v.answers["docs"] == Value::Bool(docs)
                    && v.answers["managed"] == Value::Bool(false)
                    && v.answers["pages"] == Value::Bool(pages)
            })
        };
        for (docs, pages) in [(true, true), (true, false), (false, true), (false, false)] {
            assert!(
                asks(docs, pages),
                "docs={docs} pages={pages} is not covered"
            );
        }
        // `managed = true` with either value of `pages`: those two cannot be asked.
        assert_eq!(matrix.unreachable_pairs, 2);
    }

    /// A small linear congruential generator, so the generated blueprints are the same on every
    /// run and a failure names a case that stays failing.
    struct Cases(u64);

    impl Cases {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    /// Two to four bool and choice variables with random defaults; some with a `when` on an
    /// earlier one, directly or through a string variable whose default renders it; sometimes a
    /// `[[tests]]` entry.
    fn random_body(cases: &mut Cases) -> String {
        let mut body = String::new();
        let mut choices = Vec::new();
        for i in 0..2 + cases.below(3) {
            let values = if cases.below(2) == 0 {
                2 + cases.below(2)
            } else {
                0
            };
            if values == 0 {
                let default = cases.below(2) == 0;
                body.push_str(&format!(
                    "[variables.p{i}]\ntype = \"bool\"\ndefault = {default}\n"
                ));
            } else {
                let list: Vec<String> = (0..values).map(|v| format!("\"v{v}\"")).collect();
                body.push_str(&format!(
                    "[variables.p{i}]\ntype = \"choice\"\nchoices = [{}]\ndefault = \"v{}\"\n",
                    list.join(", "),
                    cases.below(values)
                ));
            }
            if i > 0 && cases.below(2) == 0 {
                let on = cases.below(i);
                let condition = match (choices[on], cases.below(3)) {
                    (true, _) => format!("p{on} == 'v0'"),
                    (false, 0) => format!("not p{on}"),
                    (false, 1) => format!("p{on}"),
                    // Through another variable: what decides the `when` is `p{on}`, read by a
                    // default.
                    (false, _) => format!("via{i} == 'true'"),
                };
                if condition.starts_with("via") {
                    // Declared before `p{i}`, as answers are resolved in order.
                    let at = body
                        .rfind(&format!("[variables.p{i}]"))
                        .expect("just written");
                    body.insert_str(
                        at,
                        &format!(
                            "[variables.via{i}]\ntype = \"string\"\ndefault = \"{{{{ p{on} }}}}\"\n"
                        ),
                    );
                }
                body.push_str(&format!("when = \"{condition}\"\n"));
            }
            choices.push(values > 0);
        }
        if cases.below(3) == 0 {
            body.push_str("[[tests]]\nname = \"defaults\"\n");
        }
        body
    }

    /// `(variable, value, variable, value)`, the first declared first.
    type NamedPair = (String, String, String, String);

    /// The bool and choice variables an answer set asks (their `when` holds), with their values.
    fn asked(bp: &Blueprint, answers: &Answers) -> Vec<(String, String)> {
        let context = template::context(answers);
        bp.manifest
            .variables
            .iter()
            .filter(|v| matches!(v.kind, VarType::Bool | VarType::Choice))
            .filter(|v| {
                v.when
                    .as_ref()
                    .is_none_or(|w| template::eval_condition(w, &context).unwrap())
            })
            .map(|v| (v.name.clone(), answers[&v.name].to_string()))
            .collect()
    }

    fn pairs_of(asked: &[(String, String)]) -> Vec<NamedPair> {
        let mut pairs = Vec::new();
        for (at, (x, a)) in asked.iter().enumerate() {
            for (y, b) in &asked[at + 1..] {
                pairs.push((x.clone(), a.clone(), y.clone(), b.clone()));
            }
        }
        pairs
    }

    /// Every pair some full combination of answers asks, found by resolving them all; and how
    /// many pairs there are in all.
    fn reachable_pairs(bp: &Blueprint) -> (BTreeSet<NamedPair>, usize) {
        let varied: Vec<(String, Vec<Value>)> = bp
            .manifest
            .variables
            .iter()
            .filter(|v| matches!(v.kind, VarType::Bool | VarType::Choice))
            .map(|v| (v.name.clone(), values_of(bp, &v.name)))
            .collect();
        let mut total = 0;
        for (at, (_, xs)) in varied.iter().enumerate() {
            for (_, ys) in &varied[at + 1..] {
                total += xs.len() * ys.len();
            }
        }
        let combinations: usize = varied.iter().map(|(_, values)| values.len()).product();
        let mut reachable = BTreeSet::new();
        for combination in 0..combinations {
            let mut rest = combination;
            let mut given = IndexMap::new();
            for (name, values) in &varied {
                given.insert(name.clone(), values[rest % values.len()].to_toml());
                rest /= values.len();
            }
            let answers = resolve_answers(
                &bp.manifest,
                "bp/blueprint.toml",
                DEFAULT_SERVICE_NAME,
                &GivenAnswers::from_values(given),
                None,
            )
            .unwrap();
            reachable.extend(pairs_of(&asked(bp, &answers)));
        }
        (reachable, total)
    }

    #[test]
    fn every_reachable_pair_is_covered_and_only_unreachable_ones_are_counted() {
        let mut cases = Cases(20_250_101);
        for case in 0..100 {
            let body = random_body(&mut cases);
            let bp = blueprint(&body);
            let matrix = build(&bp);
            assert!(
                matrix.problems.is_empty(),
                "case {case}:\n{body}{:?}",
                matrix.problems
            );
            let covered: BTreeSet<NamedPair> = matrix
                .variants
                .iter()
                .flat_map(|v| pairs_of(&asked(&bp, &v.answers)))
                .collect();
            let (reachable, total) = reachable_pairs(&bp);
            let missed: Vec<&NamedPair> = reachable.difference(&covered).collect();
            assert!(
                missed.is_empty(),
                "case {case}:\n{body}not covered: {missed:?}"
            );
            assert_eq!(
                matrix.unreachable_pairs,
                total - reachable.len(),
                "case {case}:\n{body}"
            );
        }
    }
}
