//! `embed_migrations!` reads the migrations directory at compile time; cargo tracks the files it
//! embeds but not the directory's listing, so a new migration alone would not rebuild the crate
//! (diesel_migrations' documented remedy).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
