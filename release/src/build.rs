//! Cross-building the provider with `cargo zigbuild` (docs/design/releases.md §5): zig's linker
//! and libc build static musl binaries for linux_amd64 and linux_arm64 from any Linux host, C
//! code of aws-lc-sys included.
//!
//! `cargo-zigbuild` comes from PATH or from `<repo>/.tools/venv/bin/` (the pinned tools); that
//! venv's `bin` goes first on the child's PATH so cargo-zigbuild finds `python3 -m ziglang`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::platform::Platform;
use crate::PROVIDER_NAME;

/// The pinned tools' virtualenv, relative to the repository root.
pub const TOOLS_VENV_BIN: &str = ".tools/venv/bin";

/// `cargo-zigbuild` on `path_env`, else in the repository's tools venv.
pub fn find_cargo_zigbuild(path_env: Option<&OsStr>, repo_root: &Path) -> Option<PathBuf> {
    let on_path = path_env
        .into_iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("cargo-zigbuild"));
    let in_venv = std::iter::once(repo_root.join(TOOLS_VENV_BIN).join("cargo-zigbuild"));
    on_path
        .chain(in_venv)
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `<zigbuild> zigbuild --release --locked --target <rust target> --bin
/// terraform-provider-platform` in the repository root, with the tools venv first on PATH.
///
/// # Errors
///
/// A PATH entry containing the separator, which cannot be joined.
pub fn zigbuild_command(
    zigbuild: &Path,
    repo_root: &Path,
    platform: &Platform,
    path_env: Option<&OsStr>,
) -> anyhow::Result<Command> {
    let mut command = Command::new(zigbuild);
    // cargo runs `cargo-zigbuild zigbuild …` for `cargo zigbuild …`; calling it directly needs
    // the same first argument.
    command
        .arg("zigbuild")
        .args(["--release", "--locked", "--target", platform.rust_target])
        .args(["--bin", PROVIDER_NAME])
        .current_dir(repo_root)
        .env("PATH", child_path(repo_root, path_env)?);
    Ok(command)
}

fn child_path(repo_root: &Path, path_env: Option<&OsStr>) -> anyhow::Result<OsString> {
    let venv = repo_root.join(TOOLS_VENV_BIN);
    let rest = path_env.into_iter().flat_map(std::env::split_paths);
    std::env::join_paths(std::iter::once(venv).chain(rest)).context("joining PATH")
}

/// Cargo's target directory for the repository (honours `CARGO_TARGET_DIR` and config).
///
/// # Errors
///
/// `cargo metadata` failing.
pub fn target_dir(repo_root: &Path) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(repo_root)
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

/// Where `cargo zigbuild --release --target T` leaves the provider.
pub fn built_binary(target_dir: &Path, platform: &Platform) -> PathBuf {
    let suffix = if platform.os == "windows" { ".exe" } else { "" };
    target_dir
        .join(platform.rust_target)
        .join("release")
        .join(format!("{PROVIDER_NAME}{suffix}"))
}

/// Builds the provider for `platform` and returns the binary's path.
///
/// # Errors
///
/// A refusal for platforms that need their own build host; errors when cargo-zigbuild is
/// missing or the build fails.
pub fn build_provider(platform: &Platform, repo_root: &Path) -> anyhow::Result<PathBuf> {
    platform.check_builds_here()?;
    let path_env = std::env::var_os("PATH");
    let Some(zigbuild) = find_cargo_zigbuild(path_env.as_deref(), repo_root) else {
        bail!(
            "cargo-zigbuild is neither on PATH nor in {}; install the release toolchain \
             (.ci/install-tools.sh) or pass --prebuilt {}=<binary>",
            repo_root.join(TOOLS_VENV_BIN).display(),
            platform.name()
        );
    };
    let mut command = zigbuild_command(&zigbuild, repo_root, platform, path_env.as_deref())?;
    eprintln!(
        "platform-release: building {} ({}) with {}",
        platform.name(),
        platform.rust_target,
        zigbuild.display()
    );
    let status = command
        .status()
        .with_context(|| format!("running {}", zigbuild.display()))?;
    if !status.success() {
        bail!(
            "cargo zigbuild for {} failed ({status})",
            platform.rust_target
        );
    }
    let binary = built_binary(&target_dir(repo_root)?, platform);
    if !binary.is_file() {
        bail!(
            "cargo zigbuild succeeded but {} is missing",
            binary.display()
        );
    }
    Ok(binary)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn executable(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn prefers_cargo_zigbuild_on_path_then_the_tools_venv() {
        let temp = tempfile::tempdir().unwrap();
        let repo = temp.path().join("repo");
        let bin = temp.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let path = std::env::join_paths([temp.path().join("empty"), bin.clone()]).unwrap();
        assert_eq!(find_cargo_zigbuild(Some(&path), &repo), None);

        let venv_tool = repo.join(".tools/venv/bin/cargo-zigbuild");
        executable(&venv_tool);
        assert_eq!(
            find_cargo_zigbuild(Some(&path), &repo),
            Some(venv_tool.clone())
        );
        assert_eq!(find_cargo_zigbuild(None, &repo), Some(venv_tool));

        // A file without exec bits does not count.
        std::fs::write(bin.join("cargo-zigbuild"), "").unwrap();
        assert_ne!(
            find_cargo_zigbuild(Some(&path), &repo),
            Some(bin.join("cargo-zigbuild"))
        );
        executable(&bin.join("cargo-zigbuild"));
        assert_eq!(
            find_cargo_zigbuild(Some(&path), &repo),
            Some(bin.join("cargo-zigbuild"))
        );
    }

    #[test]
    fn builds_the_provider_bin_for_the_musl_target_with_the_venv_first_on_path() {
        let repo = Path::new("/src/repo");
        let platform = Platform::find("linux_arm64").unwrap();
        let path = OsString::from("/usr/local/bin:/usr/bin");
        let command =
            zigbuild_command(Path::new("/t/cargo-zigbuild"), repo, &platform, Some(&path)).unwrap();
        assert_eq!(command.get_program(), "/t/cargo-zigbuild");
        let args: Vec<&OsStr> = command.get_args().collect();
        assert_eq!(
            args,
            [
                "zigbuild",
                "--release",
                "--locked",
                "--target",
                "aarch64-unknown-linux-musl",
                "--bin",
                "terraform-provider-platform"
            ]
        );
        assert_eq!(command.get_current_dir(), Some(repo));
        let envs: Vec<_> = command.get_envs().collect();
        assert_eq!(
            envs,
            [(
                OsStr::new("PATH"),
                Some(OsStr::new(
                    "/src/repo/.tools/venv/bin:/usr/local/bin:/usr/bin"
                ))
            )]
        );
        assert_eq!(
            built_binary(Path::new("/src/repo/target"), &platform),
            Path::new(
                "/src/repo/target/aarch64-unknown-linux-musl/release/terraform-provider-platform"
            )
        );
    }

    #[test]
    fn refuses_to_build_platforms_that_need_their_own_host() {
        let windows = Platform::find("windows_amd64").unwrap();
        let error = build_provider(&windows, Path::new("/nonexistent")).unwrap_err();
        assert!(crate::is_refusal(&error), "{error}");
    }
}
