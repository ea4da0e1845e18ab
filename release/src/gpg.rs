//! Running GnuPG: checking that the signing key suits Terraform, signing, exporting the key.
//!
//! Terraform 1.0.3 verifies with Go's old x/crypto/openpgp: RSA or DSA signatures only
//! (an Ed25519 key fails with "unsupported feature: public key type: 22"), and it drops a whole
//! key when any of its subkeys uses an algorithm it cannot parse.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, Context};

use crate::openpgp::{self, algorithm_name};
use crate::refuse;

/// The `gpg` program and the home directory to run it with.
#[derive(Debug, Clone)]
pub struct Gpg {
    /// `--gnupg-home`; `None` leaves GnuPG's own choice (`$GNUPGHOME` or `~/.gnupg`).
    pub homedir: Option<PathBuf>,
}

/// One `pub` or `sub` record of `gpg --with-colons --list-keys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColonKey {
    pub primary: bool,
    /// Field 2: `r` revoked, `e` expired, `d` disabled, …
    pub validity: String,
    pub algorithm: u8,
    pub key_id: String,
    /// Field 12 of the record: `s` sign, `c` certify, `e` encrypt, `a` authenticate
    /// (uppercase letters on `pub` summarise the whole key).
    pub capabilities: String,
    /// From the `fpr` record that follows.
    pub fingerprint: Option<String>,
}

/// Parses the `pub`, `sub` and `fpr` records of `--with-colons` output.
pub fn parse_colons(text: &str) -> Vec<ColonKey> {
    let mut keys: Vec<ColonKey> = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        let field = |n: usize| fields.get(n - 1).copied().unwrap_or("");
        match field(1) {
            record @ ("pub" | "sub") => keys.push(ColonKey {
                primary: record == "pub",
                validity: field(2).to_string(),
                algorithm: field(4).parse().unwrap_or(0),
                key_id: field(5).to_uppercase(),
                capabilities: field(12).to_string(),
                fingerprint: None,
            }),
            "fpr" => {
                if let Some(last) = keys.last_mut() {
                    if last.fingerprint.is_none() {
                        last.fingerprint = Some(field(10).to_uppercase());
                    }
                }
            }
            _ => {}
        }
    }
    keys
}

/// Refuses a key Terraform 1.0.3 could not verify or read: the key spec must select exactly one
/// key, its primary key must be RSA or DSA, so must any subkey GnuPG might sign with, and every
/// other subkey must be one Go's old OpenPGP reader parses (RSA, DSA, ElGamal).
///
/// # Errors
///
/// A refusal explaining which key part is unusable and why.
pub fn check_signing_key(key_spec: &str, keys: &[ColonKey]) -> anyhow::Result<()> {
    let primaries: Vec<&ColonKey> = keys.iter().filter(|k| k.primary).collect();
    let primary = match primaries.as_slice() {
        [] => return Err(refuse(format!("no public key matches {key_spec:?}"))),
        [one] => *one,
        many => {
            let ids: Vec<&str> = many.iter().map(|k| k.key_id.as_str()).collect();
            return Err(refuse(format!(
                "{key_spec:?} matches {} keys ({}); pass the fingerprint of one",
                many.len(),
                ids.join(", ")
            )));
        }
    };
    if matches!(primary.validity.as_str(), "r" | "e" | "d") {
        return Err(refuse(format!(
            "key {} is revoked, expired or disabled (validity {:?})",
            primary.key_id, primary.validity
        )));
    }
    let explain = |what: &str, key: &ColonKey| {
        refuse(format!(
            "{what} {} is {} (algorithm {}); Terraform 1.0.3 verifies provider signatures with \
             Go's old x/crypto/openpgp, which supports only RSA and DSA keys (an EdDSA key fails \
             with \"unsupported feature: public key type: 22\"). Use an RSA key, e.g. RSA 3072 \
             with signing usage only.",
            key.key_id,
            algorithm_name(key.algorithm),
            key.algorithm
        ))
    };
    if !matches!(
        primary.algorithm,
        openpgp::ALGO_RSA
            | openpgp::ALGO_RSA_ENCRYPT_ONLY
            | openpgp::ALGO_RSA_SIGN_ONLY
            | openpgp::ALGO_DSA
    ) {
        return Err(explain("the signing key", primary));
    }
    // Lowercase `s` is the primary's own usage, uppercase `S` the whole key's (a subkey signs).
    if !primary.capabilities.contains(['s', 'S']) {
        return Err(refuse(format!(
            "key {} has no signing capability (capabilities {:?})",
            primary.key_id, primary.capabilities
        )));
    }
    for subkey in keys.iter().filter(|k| !k.primary) {
        let signs = subkey.capabilities.contains('s');
        let usable = if signs {
            openpgp::verifiable_by_terraform(subkey.algorithm)
        } else {
            openpgp::readable_by_terraform(subkey.algorithm)
        };
        if !usable {
            return Err(explain("subkey", subkey));
        }
    }
    Ok(())
}

impl Gpg {
    fn command(&self) -> Command {
        let mut command = Command::new("gpg");
        command.arg("--batch");
        if let Some(home) = &self.homedir {
            command.arg("--homedir").arg(home);
        }
        command
    }

    /// The `pub`/`sub` records for `key_spec`.
    ///
    /// # Errors
    ///
    /// A refusal when GnuPG knows no such key; an error when gpg cannot run.
    pub fn list_key(&self, key_spec: &str) -> anyhow::Result<Vec<ColonKey>> {
        let mut command = self.command();
        command.args([
            "--with-colons",
            "--fixed-list-mode",
            "--list-keys",
            "--",
            key_spec,
        ]);
        let output = run(command, "gpg --list-keys")?;
        if !output.status.success() {
            return Err(refuse(format!(
                "gpg has no public key {key_spec:?}{}: {}",
                self.homedir_note(),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(parse_colons(&String::from_utf8_lossy(&output.stdout)))
    }

    /// Lists `key_spec`, applies [`check_signing_key`], and checks that its secret key is there.
    ///
    /// # Errors
    ///
    /// As [`Gpg::list_key`] and [`check_signing_key`].
    pub fn check_signing_key(&self, key_spec: &str) -> anyhow::Result<Vec<ColonKey>> {
        let keys = self.list_key(key_spec)?;
        check_signing_key(key_spec, &keys)?;
        // Found now rather than after a long build: the key is there but cannot sign.
        let mut command = self.command();
        command.args(["--with-colons", "--list-secret-keys", "--", key_spec]);
        if !run(command, "gpg --list-secret-keys")?.status.success() {
            return Err(refuse(format!(
                "gpg has the public key {key_spec:?} but not its secret key{}",
                self.homedir_note()
            )));
        }
        Ok(keys)
    }

    /// Writes a binary detached signature of `input` to `output`.
    ///
    /// `--no-armor` overrides an `armor` line in gpg.conf: Terraform rejects armored signatures.
    /// `--digest-algo SHA256` keeps an old gpg.conf from choosing SHA-1.
    ///
    /// # Errors
    ///
    /// gpg failing (a passphrase-protected key in batch mode, for example).
    pub fn detach_sign(&self, key_spec: &str, input: &Path, output: &Path) -> anyhow::Result<()> {
        let mut command = self.command();
        command
            .args([
                "--no-armor",
                "--digest-algo",
                "SHA256",
                "--local-user",
                key_spec,
            ])
            .arg("--detach-sign")
            .arg("--output")
            .arg(output)
            .arg(input);
        let result = run(command, "gpg --detach-sign")?;
        if !result.status.success() {
            bail!(
                "gpg --detach-sign failed{} (a key with a passphrase needs a running agent that \
                 has it): {}",
                self.homedir_note(),
                String::from_utf8_lossy(&result.stderr).trim()
            );
        }
        Ok(())
    }

    /// `gpg --armor --export <key>`; GnuPG exits 0 with empty output for an unknown key, so an
    /// empty export is an error here.
    ///
    /// # Errors
    ///
    /// gpg failing or exporting nothing.
    pub fn export_armored(&self, key_spec: &str) -> anyhow::Result<String> {
        let mut command = self.command();
        command.args(["--armor", "--export", "--", key_spec]);
        let output = run(command, "gpg --export")?;
        let text = String::from_utf8(output.stdout).context("gpg --export wrote non-UTF-8")?;
        if !output.status.success() || !text.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
            bail!(
                "gpg --armor --export {key_spec} exported no key: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(text)
    }

    fn homedir_note(&self) -> String {
        match &self.homedir {
            Some(home) => format!(" (homedir {})", home.display()),
            None => String::new(),
        }
    }
}

fn run(mut command: Command, what: &str) -> anyhow::Result<Output> {
    command
        .output()
        .with_context(|| format!("running {what} (is GnuPG installed?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = "tru:o:1:1796204753:1:3:1:5\n\
        pub:u:3072:1:6B2B31E28923D8B4:1796204752:::u:::scSC::::::23::0:\n\
        fpr:::::::::EAAD015883682ADA34D9A7B16B2B31E28923D8B4:\n\
        uid:u::::1796204752::8A81774D485A3C40AF60411839DD61CD50908179::fixture::::::::::0:\n";

    // What GnuPG 2.2 lists for `--quick-gen-key … ed25519 sign never` (IDs shortened by hand).
    const ED25519: &str = "pub:u:255:22:1111222233334444:1796204752:::u:::scSC:::::ed25519:::0:\n\
        fpr:::::::::AAAABBBBCCCCDDDDEEEEFFFF1111222233334444:\n";

    #[test]
    fn parses_key_records_with_their_fingerprints() {
        let keys = parse_colons(RSA);
        assert_eq!(
            keys,
            vec![ColonKey {
                primary: true,
                validity: "u".into(),
                algorithm: 1,
                key_id: "6B2B31E28923D8B4".into(),
                capabilities: "scSC".into(),
                fingerprint: Some("EAAD015883682ADA34D9A7B16B2B31E28923D8B4".into()),
            }]
        );
        check_signing_key("k", &keys).unwrap();
    }

    #[test]
    fn refuses_keys_terraform_cannot_use() {
        let rsa_sub = |algorithm: u8, caps: &str| {
            format!(
                "{RSA}sub:u:255:{algorithm}:9999888877776666:1796204752::::::{caps}:::::cv25519:\n"
            )
        };
        let cases = [
            (ED25519.to_string(), "public key type: 22"),
            (format!("{RSA}{ED25519}"), "matches 2 keys"),
            (String::new(), "no public key"),
            (RSA.replace("pub:u:", "pub:r:"), "revoked"),
            (RSA.replace(":scSC:", ":cC:"), "no signing capability"),
            (rsa_sub(22, "s"), "subkey 9999888877776666 is EdDSA"),
            (rsa_sub(18, "e"), "subkey 9999888877776666 is ECDH"),
        ];
        for (colons, why) in cases {
            let error = check_signing_key("k", &parse_colons(&colons)).unwrap_err();
            assert!(crate::is_refusal(&error));
            assert!(error.to_string().contains(why), "{why}: {error}");
        }
        // An RSA encryption subkey, what `gpg --full-gen-key` adds by default, is fine.
        check_signing_key("k", &parse_colons(&rsa_sub(1, "e"))).unwrap();
        check_signing_key("k", &parse_colons(&rsa_sub(16, "e"))).unwrap();
    }
}
