//! Builds Palisade's stylesheet from the NHS design system (npm packages fetched at build time,
//! never copied into the repository) and embeds it, with the design system's icons, in the binary.
//!
//! Nothing is written outside cargo's target directory: the packages are installed under
//! `target/npm/<key>/` (`key` names the contents of `web/package.json` and `web/package-lock.json`,
//! so debug and release builds share one install) with npm's cache in `target/npm/npm-cache/`,
//! and the stylesheet and icons go to OUT_DIR.

use std::fs;
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

/// Where the npm installs live: `target/npm` when OUT_DIR has cargo's usual shape
/// (`<target>/<profile>/build/<package>-<hash>/out`), so every profile shares them; otherwise
/// OUT_DIR itself. Either way inside the build's own output, never in the source tree.
fn npm_root(out: &Path) -> PathBuf {
    let mut up = out.ancestors();
    match (up.nth(2), up.nth(1)) {
        (Some(build), Some(target)) if build.file_name().is_some_and(|n| n == "build") => {
            target.join("npm")
        }
        _ => out.join("npm"),
    }
}

/// FNV-1a over the package manifest and lock file: names an install by what it was made from.
/// (A collision is harmless: `ready` also compares the copies stored in the install.)
fn key(files: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        for b in f.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The install in `dir` is complete and was made from exactly these manifest and lock files.
fn ready(dir: &Path, package: &[u8], lock: &[u8]) -> bool {
    dir.join("node_modules/.bin/sass").exists()
        && dir
            .join("node_modules/nhsuk-frontend/package.json")
            .exists()
        && fs::read(dir.join("package.json")).is_ok_and(|b| b == package)
        // Written last, after `npm ci` succeeded: the lock file the packages were installed from.
        && fs::read(dir.join("installed-package-lock.json")).is_ok_and(|b| b == lock)
}

/// Installs the packages of `web/` into `root/<key>` unless an install of the same manifest and
/// lock file is already there, and returns that folder. `npm ci` runs in a private staging folder
/// renamed into place when complete, so builds of two profiles running at once never see (or
/// break) each other's half-made install.
fn install(root: &Path, web: &Path) -> PathBuf {
    let package = fs::read(web.join("package.json")).expect("read web/package.json");
    let lock = fs::read(web.join("package-lock.json")).expect("read web/package-lock.json");
    let name = key(&[&package, &lock]);
    let dir = root.join(&name);
    if ready(&dir, &package, &lock) {
        return dir;
    }
    fs::create_dir_all(root).expect("create the npm folder");
    let staging = root.join(format!(".staging-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).expect("create the npm staging folder");
    fs::write(staging.join("package.json"), &package).expect("copy package.json");
    fs::write(staging.join("package-lock.json"), &lock).expect("copy package-lock.json");
    let installed = Command::new("npm")
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--no-update-notifier",
        ])
        // The cache (and npm's logs, which it keeps there) stays inside the target directory too.
        .arg("--cache")
        .arg(root.join("npm-cache"))
        .current_dir(&staging)
        .status();
    let installed = match installed {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("npm ci failed ({status})")),
        Err(e) => Err(format!(
            "npm ci: could not start it ({e}). Palisade's pages need Node.js and npm at build time."
        )),
    };
    if let Err(e) = installed {
        let _ = fs::remove_dir_all(&staging);
        panic!(
            "{e} (installing web/package-lock.json into {})",
            root.display()
        );
    }
    fs::write(staging.join("installed-package-lock.json"), &lock).expect("record the lock file");
    if fs::rename(&staging, &dir).is_err() {
        // Another build put the same install in place first, or a broken one is in the way.
        if ready(&dir, &package, &lock) {
            let _ = fs::remove_dir_all(&staging);
        } else {
            let _ = fs::remove_dir_all(&dir);
            fs::rename(&staging, &dir).expect("move the npm install into place");
        }
    }
    tidy(root, &name);
    dir
}

/// Removes installs made from other lock files and staging folders of builds that are gone.
fn tidy(root: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let procs = Path::new("/proc/self").exists();
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = if let Some(pid) = name.strip_prefix(".staging-") {
            procs && !Path::new("/proc").join(pid).exists()
        } else {
            name != keep && name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit())
        };
        if stale {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn main() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    for f in ["palisade.scss", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", web.join(f).display());
    }
    // The lock file, not the installed packages, says what the stylesheet is built from: a
    // reinstall of the same versions (fresh timestamps) must not rebuild everything above.
    let npm = install(&npm_root(&out), &web);
    let modules = npm.join("node_modules");
    let css = out.join("palisade.css");
    run(
        Command::new(modules.join(".bin/sass"))
            .arg(format!("--load-path={}", modules.display()))
            .args(["--style=compressed", "--no-source-map"])
            .arg(web.join("palisade.scss"))
            .arg(&css)
            .current_dir(&out),
        "sass (building web/palisade.scss)",
    );

    // The icons are copied to OUT_DIR, so the binary embeds files no later install can change.
    let images = modules.join("nhsuk-frontend/dist/nhsuk/assets/images");
    let mut entries: Vec<_> = fs::read_dir(&images)
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
    let copies = out.join("images");
    let _ = fs::remove_dir_all(&copies);
    fs::create_dir_all(&copies).expect("create OUT_DIR/images");
    let mut code = String::from(
        "/// The design system's images, served under /assets/images/.\npub static IMAGES: &[(&str, &[u8])] = &[\n",
    );
    for p in entries {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let copy = copies.join(&name);
        fs::copy(&p, &copy).expect("copy an image to OUT_DIR");
        let abs = copy.canonicalize().expect("image path");
        code.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            abs.display().to_string()
        ));
    }
    code.push_str("];\n");
    fs::write(out.join("assets.rs"), code).expect("write assets.rs");
}
