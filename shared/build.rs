//! `embed_migrations!` reads the migrations directory at compile time; cargo tracks the files it
//! embeds but not the directory's listing, so a new migration alone would not rebuild the crate
//! (diesel_migrations' documented remedy). The gateway and the four services use this same script
//! (`build = "…/shared/build.rs"`); `migrations` is relative to the crate that runs it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
