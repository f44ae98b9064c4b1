//! Builds Palisade's stylesheet from the NHS design system (npm packages fetched at build time,
//! never copied into the repository) and embeds it, with the design system's icons, in the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &mut Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| {
        panic!(
            "{what}: could not start it ({e}). Palisade's pages need Node.js and npm at build time."
        )
    });
    assert!(status.success(), "{what} failed ({status})");
}

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    for f in ["palisade.scss", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(f).display());
    }
    let installed = web.join("node_modules/nhsuk-frontend/package.json");
    let sass = web.join("node_modules/.bin/sass");
    // The lock file, not the installed packages, says what the stylesheet is built from: a
    // reinstall of the same versions (fresh timestamps) must not rebuild everything above.
    if !installed.exists() || !sass.exists() {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
                .current_dir(&web),
            "npm ci (in web/)",
        );
    }
    let css = out.join("palisade.css");
    run(
        Command::new(&sass)
            .args([
                "--load-path=node_modules",
                "--style=compressed",
                "--no-source-map",
                "palisade.scss",
            ])
            .arg(&css)
            .current_dir(&web),
        "sass (building web/palisade.scss)",
    );

    let images = web.join("node_modules/nhsuk-frontend/dist/nhsuk/assets/images");
    let mut entries: Vec<_> = std::fs::read_dir(&images)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x == "svg" || x == "png" || x == "ico")
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    let mut code = String::from(
        "/// The design system's images, served under /assets/images/.\npub static IMAGES: &[(&str, &[u8])] = &[\n",
    );
    for p in entries {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let abs = p.canonicalize().expect("image path");
        code.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            abs.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out.join("assets.rs"), code).expect("write assets.rs");
}
