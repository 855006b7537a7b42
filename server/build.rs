//! Embeds the console (the admin interface `GET /console` serves) when it has been built.
//!
//! `node scripts/build.mjs` bundles `console/` into `console/dist/` (generated, never committed).
//! When that folder holds an `index.html`, every file in it becomes a static byte slice of the
//! binary ([`include_bytes!`]): nothing to deploy beside the binary, nothing read at run time.
//! When it does not, the table is empty and `/console` answers 503 saying how to build it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let console = manifest.join("../console");
    let built = console.join("dist");
    let files = if built.join("index.html").is_file() {
        // A change to any built file (or a new one) embeds again.
        println!("cargo::rerun-if-changed={}", built.display());
        listed(&built)
    } else {
        // The folder's appearance changes `console/`'s listing: then this runs again.
        println!("cargo::rerun-if-changed={}", console.display());
        Vec::new()
    };

    let mut table = String::from("&[\n");
    for (name, path) in &files {
        writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    table.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("console_assets.rs"), table)
        .expect("writing OUT_DIR/console_assets.rs");
}

/// The files directly in `dir` (the bundle is flat), by name, in a fixed order.
fn listed(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .expect("reading console/dist")
        .map(|entry| entry.expect("reading console/dist").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("console/dist holds UTF-8 file names")
                .to_owned();
            (name, path.canonicalize().expect("a file just listed"))
        })
        .collect();
    files.sort();
    files
}
