//! {{ description }}

fn greeting(who: &str) -> String {
    format!("Hello from {{ name }}, {who}!")
}

fn main() {
    let who = std::env::args().nth(1).unwrap_or_else(|| "world".to_owned());
    println!("{}", greeting(&who));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets_by_name() {
        assert_eq!(greeting("team"), "Hello from {{ name }}, team!");
    }
}
