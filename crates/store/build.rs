// The migrations are embedded by `sqlx::migrate!` at compile time: build
// again when one is added or changed, not only when Rust source changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
