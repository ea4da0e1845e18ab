//! `platform-release`: publishes terraform-provider-platform without goreleaser.
//!
//! It owns the release artifacts (docs/design/releases.md §1: zips, manifest, SHA256SUMS, its
//! binary signature, the armored public key) and two static trees built from them: a provider
//! registry (`providers.v1`, §2.2 there) and a provider network mirror (§2.4). It never touches
//! the provider's code; it only builds it with `cargo zigbuild` or packages binaries built
//! elsewhere.
//!
//! # Layout
//!
//! - [`cli`]: hand-parsed arguments and the four subcommands.
//! - [`release`]: the `release` command: build or take binaries, zip, sum, sign, export the key.
//! - [`registry`], [`mirror`]: the static trees, merged with what an earlier run wrote.
//! - [`artifacts`]: reading and checking a directory of release artifacts.
//! - [`archive`]: the provider zip and its layout checks; [`hashes`]: SHA-256, SHA256SUMS, `h1:`.
//! - [`openpgp`]: just enough OpenPGP packet parsing for key IDs and algorithm checks;
//!   [`gpg`]: running GnuPG, which does the actual signing.
//! - [`platform`]: Terraform platforms and their Rust targets; [`build`]: cross builds.
//! - [`version`]: semver and the root package's version; [`fsutil`]: write-once file helpers.
//!
//! Every user mistake is a [`Refusal`] (exit status 2); anything else that fails is status 1.

pub mod archive;
pub mod artifacts;
pub mod build;
pub mod cli;
pub mod fsutil;
pub mod gpg;
pub mod hashes;
pub mod mirror;
pub mod openpgp;
pub mod platform;
pub mod registry;
pub mod release;
pub mod version;

use std::fmt;

/// The provider's binary and file-name stem; Terraform finds the executable by this prefix.
pub const PROVIDER_NAME: &str = "terraform-provider-platform";

/// A request the tool will not carry out: bad input, or an action that would break a published
/// release. The message says what to do instead.
#[derive(Debug)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// Wraps a message as a [`Refusal`] inside an `anyhow::Error`.
pub fn refuse(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Refusal(message.into()))
}

/// True when `error`, or any error it wraps, is a [`Refusal`].
pub fn is_refusal(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<Refusal>())
}
