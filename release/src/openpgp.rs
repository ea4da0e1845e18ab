//! Just enough OpenPGP (RFC 4880) to publish a key and check a signature: ASCII armor, packet
//! framing, v4 fingerprints and key IDs, and the algorithm and issuer of a signature.
//!
//! Signing itself is GnuPG's job ([`crate::gpg`]); this module never does cryptography beyond
//! the SHA-1 of the fingerprint.

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use sha1::{Digest, Sha1};

use crate::hashes::hex;
use crate::refuse;

/// Packet tags used here (RFC 4880 §4.3).
pub const TAG_SIGNATURE: u8 = 2;
pub const TAG_PUBLIC_KEY: u8 = 6;
pub const TAG_PUBLIC_SUBKEY: u8 = 14;

/// Public-key algorithm IDs (RFC 4880 §9.1 and RFC 6637, GnuPG's 22 for EdDSA).
pub const ALGO_RSA: u8 = 1;
pub const ALGO_RSA_ENCRYPT_ONLY: u8 = 2;
pub const ALGO_RSA_SIGN_ONLY: u8 = 3;
pub const ALGO_ELGAMAL: u8 = 16;
pub const ALGO_DSA: u8 = 17;
pub const ALGO_EDDSA: u8 = 22;

/// Human name of a public-key algorithm, for error messages.
pub fn algorithm_name(algorithm: u8) -> &'static str {
    match algorithm {
        ALGO_RSA | ALGO_RSA_ENCRYPT_ONLY | ALGO_RSA_SIGN_ONLY => "RSA",
        ALGO_ELGAMAL => "ElGamal",
        ALGO_DSA => "DSA",
        18 => "ECDH",
        19 => "ECDSA",
        ALGO_EDDSA => "EdDSA (Ed25519)",
        25 => "X25519",
        27 => "Ed25519",
        _ => "an unknown algorithm",
    }
}

/// True for the algorithms Terraform 1.0.3 (Go's old x/crypto/openpgp) can verify a signature
/// with: RSA and DSA.
pub fn verifiable_by_terraform(algorithm: u8) -> bool {
    matches!(algorithm, ALGO_RSA | ALGO_RSA_SIGN_ONLY | ALGO_DSA)
}

/// True for the key algorithms Go's old OpenPGP reader parses here: RSA, ElGamal and DSA.
/// One key part it cannot parse makes Terraform 1.0.3 drop the whole key.
pub fn readable_by_terraform(algorithm: u8) -> bool {
    matches!(
        algorithm,
        ALGO_RSA | ALGO_RSA_ENCRYPT_ONLY | ALGO_RSA_SIGN_ONLY | ALGO_ELGAMAL | ALGO_DSA
    )
}

/// The bytes inside an ASCII-armored block `-----BEGIN PGP <label>-----`: the base64 between
/// the header block and the `=XXXX` CRC-24 line, which is checked when present.
///
/// # Errors
///
/// Missing armor lines, bad base64, or a CRC mismatch.
pub fn dearmor(text: &str, label: &str) -> anyhow::Result<Vec<u8>> {
    let begin = format!("-----BEGIN PGP {label}-----");
    let end = format!("-----END PGP {label}-----");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let start = lines
        .iter()
        .position(|l| *l == begin)
        .ok_or_else(|| anyhow!("no {begin:?} line"))?;
    let stop = start
        + lines[start..]
            .iter()
            .position(|l| *l == end)
            .ok_or_else(|| anyhow!("no {end:?} line"))?;
    let inner = &lines[start + 1..stop];
    // Armor headers ("Comment: …") end at the first blank line; without one there are none.
    let body = match inner.iter().position(|l| l.is_empty()) {
        Some(blank) => &inner[blank + 1..],
        None => inner,
    };
    let mut base64_text = String::new();
    let mut checksum = None;
    for line in body {
        if let Some(crc) = line.strip_prefix('=') {
            checksum = Some(crc);
        } else if checksum.is_some() {
            bail!("armor has data after its checksum line");
        } else {
            base64_text.push_str(line);
        }
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let data = engine
        .decode(base64_text.as_bytes())
        .context("armor body is not base64")?;
    if let Some(crc) = checksum {
        let crc = engine.decode(crc).context("armor checksum is not base64")?;
        let want = crc24(&data).to_be_bytes();
        if crc != want[1..] {
            bail!("armor checksum does not match its data");
        }
    }
    Ok(data)
}

/// CRC-24 of RFC 4880 §6.1.
fn crc24(data: &[u8]) -> u32 {
    const INIT: u32 = 0x00B7_04CE;
    const POLY: u32 = 0x0186_4CFB;
    let mut crc = INIT;
    for byte in data {
        crc ^= u32::from(*byte) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= POLY;
            }
        }
    }
    crc & 0x00FF_FFFF
}

/// One OpenPGP packet: its tag and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    pub tag: u8,
    pub body: &'a [u8],
}

/// Splits binary OpenPGP data into packets, reading both the old and the new header formats.
///
/// # Errors
///
/// A first byte without its high bit (the "tag byte does not have MSB set" that Terraform
/// reports for an armored signature), truncated packets, or partial body lengths (only data
/// packets use them, never keys or signatures).
pub fn packets(mut data: &[u8]) -> anyhow::Result<Vec<Packet<'_>>> {
    let mut out = Vec::new();
    while let Some(&first) = data.first() {
        if first & 0x80 == 0 {
            bail!("tag byte {first:#04x} does not have its high bit set: not binary OpenPGP data");
        }
        let (tag, header, length) = if first & 0x40 == 0 {
            // Old format: tag in bits 5..2, length type in bits 1..0.
            let tag = (first >> 2) & 0x0F;
            match first & 0x03 {
                0 => (tag, 2, usize::from(*data.get(1).ok_or_else(truncated)?)),
                1 => (
                    tag,
                    3,
                    usize::from(be_u16(data.get(1..3).ok_or_else(truncated)?)),
                ),
                2 => (
                    tag,
                    5,
                    be_u32(data.get(1..5).ok_or_else(truncated)?) as usize,
                ),
                _ => (tag, 1, data.len() - 1),
            }
        } else {
            let tag = first & 0x3F;
            let o1 = usize::from(*data.get(1).ok_or_else(truncated)?);
            match o1 {
                0..=191 => (tag, 2, o1),
                192..=223 => {
                    let o2 = usize::from(*data.get(2).ok_or_else(truncated)?);
                    (tag, 3, ((o1 - 192) << 8) + o2 + 192)
                }
                255 => (
                    tag,
                    6,
                    be_u32(data.get(2..6).ok_or_else(truncated)?) as usize,
                ),
                _ => bail!("packet with tag {tag} uses a partial body length"),
            }
        };
        let body = data.get(header..header + length).ok_or_else(truncated)?;
        out.push(Packet { tag, body });
        data = &data[header + length..];
    }
    Ok(out)
}

fn truncated() -> anyhow::Error {
    anyhow!("truncated OpenPGP packet")
}

fn be_u16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// A public key or subkey packet, as far as publishing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPacket {
    /// True for the primary key (tag 6), false for a subkey (tag 14).
    pub primary: bool,
    pub algorithm: u8,
    /// 40 uppercase hex digits.
    pub fingerprint: String,
    /// The last 16 hex digits of the fingerprint, uppercase, as the registry API wants it.
    pub key_id: String,
}

/// Reads a v4 key packet body: SHA-1 over `0x99 || 2-byte length || body` is the fingerprint,
/// its last 8 bytes the key ID (RFC 4880 §12.2).
///
/// # Errors
///
/// A refusal for key versions other than 4: v3 IDs are computed differently, and Terraform
/// 1.0.3 reads neither v3 nor v5/v6 keys.
pub fn key_packet(packet: &Packet<'_>) -> anyhow::Result<KeyPacket> {
    let body = packet.body;
    let version = *body.first().ok_or_else(truncated)?;
    if version != 4 {
        return Err(refuse(format!(
            "the signing key is an OpenPGP v{version} key; publish a v4 key (what GnuPG 2.2 \
             makes), the only version Terraform 1.0.3 reads"
        )));
    }
    let algorithm = *body.get(5).ok_or_else(truncated)?;
    let length = u16::try_from(body.len()).map_err(|_| anyhow!("key packet too long"))?;
    let mut hasher = Sha1::new();
    hasher.update([0x99]);
    hasher.update(length.to_be_bytes());
    hasher.update(body);
    let fingerprint = hex(hasher.finalize().as_slice()).to_uppercase();
    Ok(KeyPacket {
        primary: packet.tag == TAG_PUBLIC_KEY,
        algorithm,
        key_id: fingerprint[24..].to_string(),
        fingerprint,
    })
}

/// The primary key and subkeys of the first key in a binary transferable public key.
///
/// # Errors
///
/// Data that does not start with a public-key packet, or a key that is not v4.
pub fn key_packets(binary: &[u8]) -> anyhow::Result<Vec<KeyPacket>> {
    let all = packets(binary)?;
    match all.first() {
        Some(first) if first.tag == TAG_PUBLIC_KEY => {}
        Some(first) => bail!(
            "expected a public-key packet first, found tag {}",
            first.tag
        ),
        None => bail!("no OpenPGP packets"),
    }
    let mut keys = Vec::new();
    for (index, packet) in all.iter().enumerate() {
        // A second primary key starts the next key in the block; only the first is ours.
        if packet.tag == TAG_PUBLIC_KEY && index > 0 {
            break;
        }
        if packet.tag == TAG_PUBLIC_KEY || packet.tag == TAG_PUBLIC_SUBKEY {
            keys.push(key_packet(packet)?);
        }
    }
    Ok(keys)
}

/// The 16-hex-digit key ID of the primary key in an armored public key block.
///
/// # Errors
///
/// Bad armor or packets.
pub fn key_id_from_armored(armored: &str) -> anyhow::Result<String> {
    let binary = dearmor(armored, "PUBLIC KEY BLOCK")?;
    let keys = key_packets(&binary)?;
    Ok(keys[0].key_id.clone())
}

/// What a detached signature says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    pub version: u8,
    pub algorithm: u8,
    pub hash_algorithm: u8,
    /// The issuer's key ID (16 uppercase hex), from the issuer or issuer-fingerprint subpacket.
    pub issuer_key_id: Option<String>,
}

/// Reads the first packet of a binary detached signature.
///
/// # Errors
///
/// Armored input (refused: Terraform needs binary), or anything but a v3/v4 signature packet.
pub fn signature_info(signature: &[u8]) -> anyhow::Result<SignatureInfo> {
    if signature.first().is_some_and(|b| b & 0x80 == 0) {
        return Err(refuse(
            "the signature is not binary OpenPGP (armored?): Terraform fails with \"tag byte \
             does not have MSB set\"",
        ));
    }
    let all = packets(signature)?;
    let packet = all.first().ok_or_else(|| anyhow!("empty signature"))?;
    if packet.tag != TAG_SIGNATURE {
        bail!("expected a signature packet, found tag {}", packet.tag);
    }
    let body = packet.body;
    match body.first() {
        Some(3) => {
            // version, 5, type, time(4), key ID(8), public-key algorithm, hash algorithm.
            let fields = body.get(..17).ok_or_else(truncated)?;
            Ok(SignatureInfo {
                version: 3,
                algorithm: fields[15],
                hash_algorithm: fields[16],
                issuer_key_id: Some(hex(&fields[7..15]).to_uppercase()),
            })
        }
        Some(4) => {
            // version, type, public-key algorithm, hash algorithm, hashed and unhashed
            // subpacket areas, each with a two-byte length.
            let fields = body.get(..6).ok_or_else(truncated)?;
            let hashed_length = usize::from(be_u16(&fields[4..6]));
            let hashed = body.get(6..6 + hashed_length).ok_or_else(truncated)?;
            let rest = &body[6 + hashed_length..];
            let unhashed_length = usize::from(be_u16(rest.get(..2).ok_or_else(truncated)?));
            let unhashed = rest.get(2..2 + unhashed_length).ok_or_else(truncated)?;
            let issuer = issuer_in(hashed)?.or(issuer_in(unhashed)?);
            Ok(SignatureInfo {
                version: 4,
                algorithm: fields[2],
                hash_algorithm: fields[3],
                issuer_key_id: issuer,
            })
        }
        Some(version) => bail!("unsupported signature version {version}"),
        None => Err(truncated()),
    }
}

/// The issuer key ID from a subpacket area: type 16 (issuer key ID) or 33 (issuer fingerprint).
fn issuer_in(mut area: &[u8]) -> anyhow::Result<Option<String>> {
    const ISSUER: u8 = 16;
    const ISSUER_FINGERPRINT: u8 = 33;
    while let Some(&first) = area.first() {
        let (header, length) = match first {
            0..=191 => (1, usize::from(first)),
            192..=254 => {
                let second = usize::from(*area.get(1).ok_or_else(truncated)?);
                (2, ((usize::from(first) - 192) << 8) + second + 192)
            }
            255 => (5, be_u32(area.get(1..5).ok_or_else(truncated)?) as usize),
        };
        let subpacket = area.get(header..header + length).ok_or_else(truncated)?;
        let (kind, data) = subpacket.split_first().ok_or_else(truncated)?;
        match kind & 0x7F {
            ISSUER if data.len() == 8 => return Ok(Some(hex(data).to_uppercase())),
            // Version 4 fingerprints are 20 bytes; the key ID is the last 8.
            ISSUER_FINGERPRINT if data.len() == 21 && data[0] == 4 => {
                return Ok(Some(hex(&data[13..]).to_uppercase()));
            }
            _ => {}
        }
        area = &area[header + length..];
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RSA 3072 sign-only public key generated for these tests with GnuPG 2.2.40
    /// (`gpg --batch --gen-key`, `%no-protection`); `gpg --with-colons --list-keys` gave the
    /// fingerprint below.
    const RSA_KEY: &str = include_str!("../tests/data/rsa3072-sign.asc");
    const RSA_FINGERPRINT: &str = include_str!("../tests/data/rsa3072-sign.fingerprint");

    /// A detached binary signature by that key over `tests/data/signed.txt`.
    const RSA_SIGNATURE: &[u8] = include_bytes!("../tests/data/signed.txt.sig");

    #[test]
    fn computes_the_key_id_gpg_reports() {
        let fingerprint = RSA_FINGERPRINT.trim();
        assert_eq!(key_id_from_armored(RSA_KEY).unwrap(), &fingerprint[24..]);
        let keys = key_packets(&dearmor(RSA_KEY, "PUBLIC KEY BLOCK").unwrap()).unwrap();
        assert_eq!(keys.len(), 1, "sign-only key without subkeys");
        assert!(keys[0].primary);
        assert_eq!(keys[0].algorithm, ALGO_RSA);
        assert_eq!(keys[0].fingerprint, fingerprint);
    }

    #[test]
    fn reads_old_and_new_packet_headers_alike() {
        let binary = dearmor(RSA_KEY, "PUBLIC KEY BLOCK").unwrap();
        let first = packets(&binary).unwrap()[0];
        let body = first.body;
        // Re-frame the key packet in each header format and length encoding.
        let len = body.len();
        let mut framings: Vec<Vec<u8>> = vec![
            [&[0x99, (len >> 8) as u8, len as u8][..], body].concat(), // old, 2-byte length
            [&[0x9A, 0, 0, (len >> 8) as u8, len as u8][..], body].concat(), // old, 4-byte
            [&[0x9B][..], body].concat(),                              // old, indeterminate
            [&[0xC6, 0xFF, 0, 0, (len >> 8) as u8, len as u8][..], body].concat(), // new, 5-byte
        ];
        if len < 8384 {
            let adjusted = len - 192;
            framings.push(
                [
                    &[0xC6, ((adjusted >> 8) + 192) as u8, adjusted as u8][..],
                    body,
                ]
                .concat(),
            ); // new, 2-byte
        }
        for framed in framings {
            let parsed = packets(&framed).unwrap();
            assert_eq!(
                parsed,
                vec![Packet {
                    tag: TAG_PUBLIC_KEY,
                    body
                }],
                "{:#04x}",
                framed[0]
            );
            assert_eq!(
                key_packet(&parsed[0]).unwrap().fingerprint,
                RSA_FINGERPRINT.trim()
            );
        }
        // One-byte lengths, old and new, on a small packet.
        assert_eq!(
            packets(&[0x88, 1, 7]).unwrap(),
            vec![Packet { tag: 2, body: &[7] }]
        );
        assert_eq!(
            packets(&[0xC2, 1, 7]).unwrap(),
            vec![Packet { tag: 2, body: &[7] }]
        );
        assert!(packets(&[0xC2, 5, 7]).is_err(), "truncated");
        assert!(packets(&[0xCB, 0xE1, 7]).is_err(), "partial body length");
    }

    #[test]
    fn dearmor_checks_the_crc_and_skips_headers() {
        let with_comment = RSA_KEY.replacen("-----\n\n", "-----\nComment: test key\n\n", 1);
        assert_ne!(with_comment, RSA_KEY);
        assert_eq!(
            dearmor(&with_comment, "PUBLIC KEY BLOCK").unwrap(),
            dearmor(RSA_KEY, "PUBLIC KEY BLOCK").unwrap()
        );
        // Flip one base64 character of the body: the CRC line no longer matches.
        let lines: Vec<&str> = RSA_KEY.lines().collect();
        let mut tampered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let line = &mut tampered[3];
        let replacement = if line.starts_with('A') { "B" } else { "A" };
        line.replace_range(0..1, replacement);
        let error = dearmor(&tampered.join("\n"), "PUBLIC KEY BLOCK").unwrap_err();
        assert!(error.to_string().contains("checksum"), "{error}");
        assert!(dearmor(RSA_KEY, "SIGNATURE").is_err());
        assert_eq!(crc24(b""), 0xB704CE);
    }

    #[test]
    fn reads_algorithm_and_issuer_from_a_signature() {
        let info = signature_info(RSA_SIGNATURE).unwrap();
        assert_eq!(info.version, 4);
        assert_eq!(info.algorithm, ALGO_RSA);
        assert!(verifiable_by_terraform(info.algorithm));
        assert_eq!(
            info.issuer_key_id.as_deref(),
            Some(&RSA_FINGERPRINT.trim()[24..])
        );
        let armored = b"-----BEGIN PGP SIGNATURE-----\n";
        let error = signature_info(armored).unwrap_err();
        assert!(crate::is_refusal(&error));
        assert!(error.to_string().contains("MSB"), "{error}");
    }

    #[test]
    fn only_rsa_and_dsa_verify_in_terraform_1_0_3() {
        for algorithm in [ALGO_RSA, ALGO_RSA_SIGN_ONLY, ALGO_DSA] {
            assert!(verifiable_by_terraform(algorithm));
        }
        for algorithm in [ALGO_RSA_ENCRYPT_ONLY, ALGO_ELGAMAL, 18, 19, ALGO_EDDSA, 27] {
            assert!(!verifiable_by_terraform(algorithm), "{algorithm}");
        }
    }
}
