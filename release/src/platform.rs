//! Terraform platforms (`<os>_<arch>` in Go's words) and the Rust targets that build them
//! (docs/design/releases.md §5).

use crate::{refuse, PROVIDER_NAME};

/// One Terraform platform and how to build the provider for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub os: &'static str,
    pub arch: &'static str,
    pub rust_target: &'static str,
    /// Whether this Linux host can cross-build it with `cargo zigbuild`; the others need their
    /// own build host (macOS SDK, MSVC CRT, …) and come in through `--prebuilt`.
    pub builds_here: bool,
}

/// Every platform docs/design/releases.md §5 maps, in the order releases list them.
#[rustfmt::skip]
pub const PLATFORMS: &[Platform] = &[
    Platform { os: "linux", arch: "amd64", rust_target: "x86_64-unknown-linux-musl", builds_here: true },
    Platform { os: "linux", arch: "arm64", rust_target: "aarch64-unknown-linux-musl", builds_here: true },
    Platform { os: "linux", arch: "arm", rust_target: "arm-unknown-linux-musleabihf", builds_here: false },
    Platform { os: "linux", arch: "386", rust_target: "i686-unknown-linux-musl", builds_here: false },
    Platform { os: "darwin", arch: "amd64", rust_target: "x86_64-apple-darwin", builds_here: false },
    Platform { os: "darwin", arch: "arm64", rust_target: "aarch64-apple-darwin", builds_here: false },
    Platform { os: "windows", arch: "amd64", rust_target: "x86_64-pc-windows-gnu", builds_here: false },
    Platform { os: "windows", arch: "arm64", rust_target: "aarch64-pc-windows-msvc", builds_here: false },
    Platform { os: "freebsd", arch: "amd64", rust_target: "x86_64-unknown-freebsd", builds_here: false },
];

/// Platforms released when no `--platform` is given.
pub const DEFAULT_PLATFORMS: &[&str] = &["linux_amd64", "linux_arm64"];

impl Platform {
    /// Looks up `os_arch`.
    ///
    /// # Errors
    ///
    /// A refusal listing the known platforms.
    pub fn find(name: &str) -> anyhow::Result<Platform> {
        PLATFORMS
            .iter()
            .find(|p| p.name() == name)
            .copied()
            .ok_or_else(|| {
                let known: Vec<String> = PLATFORMS.iter().map(Platform::name).collect();
                refuse(format!(
                    "unknown platform {name:?}; known platforms: {}",
                    known.join(", ")
                ))
            })
    }

    /// `os_arch`, as in file names and mirror JSON.
    pub fn name(&self) -> String {
        format!("{}_{}", self.os, self.arch)
    }

    /// The executable inside the zip: `terraform-provider-platform_v<V>`, `.exe` on Windows.
    pub fn executable_name(&self, version: &str) -> String {
        let suffix = if self.os == "windows" { ".exe" } else { "" };
        format!("{PROVIDER_NAME}_v{version}{suffix}")
    }

    /// `terraform-provider-platform_<V>_<os>_<arch>.zip`.
    pub fn zip_name(&self, version: &str) -> String {
        format!("{PROVIDER_NAME}_{version}_{}.zip", self.name())
    }

    /// Refuses a platform this host cannot build, saying how to release it anyway.
    ///
    /// # Errors
    ///
    /// A refusal for every platform with `builds_here == false`.
    pub fn check_builds_here(&self) -> anyhow::Result<()> {
        if self.builds_here {
            return Ok(());
        }
        Err(refuse(format!(
            "{} ({}) needs its own build host (RELEASING.md, \"Other platforms\"); build it \
             there and pass --prebuilt {}=<path to the binary>",
            self.name(),
            self.rust_target,
            self.name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_each_platform_to_its_rust_target() {
        let table: Vec<(String, &str, bool)> = PLATFORMS
            .iter()
            .map(|p| (p.name(), p.rust_target, p.builds_here))
            .collect();
        let want = [
            ("linux_amd64", "x86_64-unknown-linux-musl", true),
            ("linux_arm64", "aarch64-unknown-linux-musl", true),
            ("linux_arm", "arm-unknown-linux-musleabihf", false),
            ("linux_386", "i686-unknown-linux-musl", false),
            ("darwin_amd64", "x86_64-apple-darwin", false),
            ("darwin_arm64", "aarch64-apple-darwin", false),
            ("windows_amd64", "x86_64-pc-windows-gnu", false),
            ("windows_arm64", "aarch64-pc-windows-msvc", false),
            ("freebsd_amd64", "x86_64-unknown-freebsd", false),
        ];
        let want: Vec<(String, &str, bool)> = want
            .iter()
            .map(|(n, t, b)| (n.to_string(), *t, *b))
            .collect();
        assert_eq!(table, want);
        for name in DEFAULT_PLATFORMS {
            assert!(Platform::find(name).unwrap().builds_here, "{name}");
        }
    }

    #[test]
    fn names_files_as_terraform_expects() {
        let linux = Platform::find("linux_arm64").unwrap();
        assert_eq!(
            linux.executable_name("0.1.0"),
            "terraform-provider-platform_v0.1.0"
        );
        assert_eq!(
            linux.zip_name("0.1.0"),
            "terraform-provider-platform_0.1.0_linux_arm64.zip"
        );
        let windows = Platform::find("windows_amd64").unwrap();
        assert_eq!(
            windows.executable_name("0.1.0"),
            "terraform-provider-platform_v0.1.0.exe"
        );
    }

    #[test]
    fn refuses_unknown_and_foreign_host_platforms() {
        for name in ["linux_x86_64", "linux-amd64", "plan9_amd64", ""] {
            let error = Platform::find(name).unwrap_err();
            assert!(crate::is_refusal(&error), "{name}");
            assert!(error.to_string().contains("known platforms"), "{error}");
        }
        Platform::find("linux_amd64")
            .unwrap()
            .check_builds_here()
            .unwrap();
        let darwin = Platform::find("darwin_arm64")
            .unwrap()
            .check_builds_here()
            .unwrap_err();
        assert!(crate::is_refusal(&darwin));
        assert!(darwin.to_string().contains("own build host"), "{darwin}");
        assert!(
            darwin.to_string().contains("--prebuilt darwin_arm64="),
            "{darwin}"
        );
    }
}
