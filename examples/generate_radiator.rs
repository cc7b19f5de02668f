//! Print the generated benchmark radiator of about N cells (default 10^6) as a scenario file:
//! `cargo run --release --example generate_radiator -- 1000000 > radiator.toml`

fn main() {
    let cells = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse::<usize>().ok())
        .unwrap_or(1_000_000);
    print!("{}", skysink::bench::radiator_scenario(cells));
}
