//! `sqlx::migrate!` embeds the migrations when `app` compiles: a new or changed migration
//! must recompile it, even when no Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
