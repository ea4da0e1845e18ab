//! The per-platform provider zip (docs/design/releases.md §1.1) and the checks that a zip has that
//! shape.
//!
//! One executable at the root, no directory entries (they change the zip's `h1:` but not the
//! unpacked one), unix mode 0755 (without it Terraform extracts `-rw-------` and cannot start the
//! plugin), a fixed mtime and fixed options so the same input gives the same bytes.

use std::io::{Cursor, Read, Write};

use anyhow::Context;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use crate::refuse;

/// 2020-01-01T00:00:00Z: the mtime when neither `--source-date-epoch` nor `SOURCE_DATE_EPOCH`
/// is given. Any fixed value works; this one is inside the zip format's 1980–2107 range.
pub const DEFAULT_SOURCE_DATE_EPOCH: i64 = 1_577_836_800;

const SECONDS_PER_DAY: i64 = 86_400;
const ZIP_EPOCH_YEAR: i64 = 1980;

/// The zip (MS-DOS) timestamp for `seconds` since the Unix epoch, in UTC. MS-DOS time counts
/// seconds in steps of two, so an odd second rounds down.
///
/// # Errors
///
/// A refusal outside 1980-01-01 ..= 2107-12-31, which zip cannot store.
pub fn zip_time_from_epoch(seconds: i64) -> anyhow::Result<DateTime> {
    let out_of_range = || {
        refuse(format!(
            "source date epoch {seconds} is outside the zip format's range (years 1980 to 2107)"
        ))
    };
    let mut days = seconds.div_euclid(SECONDS_PER_DAY);
    let time_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let mut year = 1970;
    loop {
        let length = if is_leap_year(year) { 366 } else { 365 };
        if (0..length).contains(&days) {
            break;
        }
        if days < 0 || year > 2107 {
            return Err(out_of_range());
        }
        days -= length;
        year += 1;
    }
    if year < ZIP_EPOCH_YEAR {
        return Err(out_of_range());
    }
    let mut month = 1;
    for length in month_lengths(year) {
        if days < length {
            break;
        }
        days -= length;
        month += 1;
    }
    let narrow = |value: i64| u8::try_from(value).map_err(|_| out_of_range());
    DateTime::from_date_and_time(
        u16::try_from(year).map_err(|_| out_of_range())?,
        narrow(month)?,
        narrow(days + 1)?,
        narrow(time_of_day / 3600)?,
        narrow(time_of_day % 3600 / 60)?,
        narrow(time_of_day % 60)?,
    )
    .map_err(|_| out_of_range())
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn month_lengths(year: i64) -> [i64; 12] {
    let february = if is_leap_year(year) { 29 } else { 28 };
    [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
}

/// Every option is explicit so that neither the build host nor a crate default changes bytes.
fn entry_options(mtime: DateTime) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(mtime)
        .unix_permissions(0o755)
        .system(System::Unix)
        .large_file(false)
}

/// A zip holding exactly one entry, `executable_name`, with `executable` as its body.
///
/// # Errors
///
/// Only if the zip writer fails (it writes to memory).
pub fn provider_zip(
    executable_name: &str,
    executable: &[u8],
    mtime: DateTime,
) -> anyhow::Result<Vec<u8>> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file(executable_name, entry_options(mtime))?;
    writer.write_all(executable)?;
    Ok(writer.finish()?.into_inner())
}

/// What a provider zip holds, read back for checks and the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntryInfo {
    pub name: String,
    pub is_dir: bool,
    /// The full unix mode (file type and permissions) if the entry records one.
    pub unix_mode: Option<u32>,
    pub compression: CompressionMethod,
    pub last_modified: Option<DateTime>,
    pub body: Vec<u8>,
}

/// Reads every entry of a zip.
///
/// # Errors
///
/// An unreadable zip.
pub fn read_entries(zip_bytes: &[u8]) -> anyhow::Result<Vec<ZipEntryInfo>> {
    let mut archive = ZipArchive::new(Cursor::new(zip_bytes)).context("reading the zip")?;
    let mut entries = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let mut body = Vec::new();
        entry.read_to_end(&mut body)?;
        entries.push(ZipEntryInfo {
            name: entry.name()?.into_owned(),
            is_dir: entry.is_dir(),
            unix_mode: entry.unix_mode(),
            compression: entry.compression(),
            last_modified: entry.last_modified(),
            body,
        });
    }
    Ok(entries)
}

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;

/// Checks the shape of docs/design/releases.md §1.1: a single regular-file entry named
/// `executable_name` at the root, mode 0755, no directory entries.
///
/// # Errors
///
/// A refusal describing the first problem.
pub fn check_provider_zip(
    zip_name: &str,
    zip_bytes: &[u8],
    executable_name: &str,
) -> anyhow::Result<()> {
    let entries = read_entries(zip_bytes)
        .map_err(|e| refuse(format!("{zip_name} is not a readable zip: {e:#}")))?;
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let [entry] = entries.as_slice() else {
        return Err(refuse(format!(
            "{zip_name} must hold exactly one entry, {executable_name}; it holds {names:?}"
        )));
    };
    if entry.is_dir || entry.name != executable_name {
        return Err(refuse(format!(
            "{zip_name} must hold {executable_name} at its root; it holds {:?}",
            entry.name
        )));
    }
    match entry.unix_mode {
        Some(mode) if mode & S_IFMT == S_IFREG && mode & 0o7777 == 0o755 => Ok(()),
        mode => Err(refuse(format!(
            "{zip_name}: {executable_name} must be a regular file with unix mode 0755 \
             (Terraform cannot run it otherwise); it has {}",
            mode.map_or("no unix mode".to_string(), |m| format!("mode {m:o}"))
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "terraform-provider-platform_v0.1.0";

    fn mtime() -> DateTime {
        zip_time_from_epoch(DEFAULT_SOURCE_DATE_EPOCH).unwrap()
    }

    #[test]
    fn converts_epoch_seconds_to_utc_calendar_time() {
        // (seconds, y, m, d, h, min, s); dates checked with `date -u -d @<seconds>`.
        let cases = [
            (315_532_800, 1980, 1, 1, 0, 0, 0),
            (1_577_836_800, 2020, 1, 1, 0, 0, 0),
            (951_782_400, 2000, 2, 29, 0, 0, 0),
            (1_709_251_199, 2024, 2, 29, 23, 59, 58), // …:59 rounds down to an even second
            (1_735_689_599, 2024, 12, 31, 23, 59, 58),
            (1_234_567_890, 2009, 2, 13, 23, 31, 30),
        ];
        for (seconds, year, month, day, hour, minute, second) in cases {
            let t = zip_time_from_epoch(seconds).unwrap();
            assert_eq!(
                (
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ),
                (year, month, day, hour, minute, second),
                "{seconds}"
            );
        }
        for seconds in [-1, 0, 315_532_799, 4_354_819_200] {
            let error = zip_time_from_epoch(seconds).unwrap_err();
            assert!(crate::is_refusal(&error), "{seconds}");
        }
    }

    #[test]
    fn zip_has_one_executable_entry_at_the_root_with_mode_0755() {
        let zip = provider_zip(NAME, b"\x7fELF fake provider", mtime()).unwrap();
        let entries = read_entries(&zip).unwrap();
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(entry.name, NAME);
        assert!(!entry.is_dir);
        assert_eq!(entry.unix_mode, Some(0o100_755));
        assert_eq!(entry.compression, CompressionMethod::Deflated);
        assert_eq!(entry.body, b"\x7fELF fake provider");
        let modified = entry.last_modified.unwrap();
        assert_eq!(
            (
                modified.year(),
                modified.month(),
                modified.day(),
                modified.hour()
            ),
            (2020, 1, 1, 0)
        );
        check_provider_zip("p.zip", &zip, NAME).unwrap();
    }

    #[test]
    fn same_input_gives_the_same_bytes() {
        let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let first = provider_zip(NAME, &body, mtime()).unwrap();
        let second = provider_zip(NAME, &body, mtime()).unwrap();
        assert_eq!(first, second);
        // The mtime really is in the bytes, so a fixed one is what makes them reproducible.
        let later = provider_zip(NAME, &body, zip_time_from_epoch(1_700_000_000).unwrap()).unwrap();
        assert_ne!(first, later);
    }

    #[test]
    fn check_refuses_directories_extra_entries_and_missing_exec_bits() {
        let build = |entries: &[(&str, Option<u32>)], dirs: &[&str]| {
            let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
            for dir in dirs {
                writer.add_directory(*dir, entry_options(mtime())).unwrap();
            }
            for (name, mode) in entries {
                let mut options = entry_options(mtime());
                options = match mode {
                    Some(mode) => options.unix_permissions(*mode),
                    None => options.system(System::Dos),
                };
                writer.start_file(*name, options).unwrap();
                writer.write_all(b"x").unwrap();
            }
            writer.finish().unwrap().into_inner()
        };
        let cases = [
            (
                build(&[(NAME, Some(0o755))], &["docs/"]),
                "exactly one entry",
            ),
            (
                build(&[(NAME, Some(0o755)), ("README", Some(0o644))], &[]),
                "exactly one entry",
            ),
            (
                build(&[(&format!("bin/{NAME}"), Some(0o755))], &[]),
                "at its root",
            ),
            (
                build(&[("terraform-provider-other_v0.1.0", Some(0o755))], &[]),
                "at its root",
            ),
            (build(&[(NAME, Some(0o644))], &[]), "mode 100644"),
            (build(&[(NAME, None)], &[]), "0755"),
        ];
        for (zip, why) in cases {
            let error = check_provider_zip("p.zip", &zip, NAME).unwrap_err();
            assert!(crate::is_refusal(&error));
            assert!(error.to_string().contains(why), "{why}: {error}");
        }
    }
}
