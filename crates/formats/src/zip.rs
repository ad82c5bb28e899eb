//! Reading the members of a ZIP archive (banks deliver CAMT files zipped).
//!
//! Only what statement archives use: stored and deflated members, no
//! encryption, no ZIP64. Every offset and size is checked against the
//! archive, so a damaged file gives an error, never a panic.
//!
//! A ZIP bomb (a small archive that inflates to gigabytes) is refused
//! before anything is inflated, from the sizes the central directory
//! declares: no member over [`MAX_MEMBER`], no more than [`MAX_TOTAL`] for
//! all members together, and no member that would grow more than
//! [`MAX_RATIO`] times. Declared sizes can lie, so inflating is capped too:
//! a member may not inflate past its declared size.

use std::fmt;

/// Why an archive cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipError(pub String);

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ZipError {}

/// The most one member may inflate to. A camt.053 with a hundred thousand
/// entries is about 100 MiB; 512 MiB leaves room for the largest
/// statements a business receives.
pub const MAX_MEMBER: usize = 512 << 20;

/// The most all members together may inflate to: what the caller must hold
/// in memory at once. Two of the largest members; a statement archive of a
/// month holds a few megabytes.
pub const MAX_TOTAL: usize = 1 << 30;

/// The most a member may grow when inflated. Real statement XML compresses
/// 10 to 25 times (measured on the corpus and on generated statements of
/// 100,000 varied entries); 100 is four times that. Deflate reaches about
/// 1,030 times on repeated bytes, which is what bombs use.
pub const MAX_RATIO: usize = 100;

/// Members declaring at most this much are not held to [`MAX_RATIO`]: a
/// small member cannot hurt, and tiny files of repeated text compress well.
const RATIO_FROM: usize = 1 << 20;

fn u16_at(bytes: &[u8], at: usize) -> Result<u16, ZipError> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| ZipError("truncated archive".into()))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32, ZipError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| ZipError("truncated archive".into()))
}

fn mib(bytes: usize) -> usize {
    bytes >> 20
}

/// A member as the central directory describes it, checked against the
/// limits but not yet inflated.
struct Entry<'a> {
    name: String,
    method: u16,
    /// The compressed bytes.
    data: &'a [u8],
    /// The declared uncompressed size.
    size: usize,
}

/// Reads the central directory and checks every member's declared size
/// against the limits, before anything is inflated. The central
/// directory's sizes are the ones used: a local header may leave them zero
/// (when a data descriptor follows the data), and whatever it says, a
/// member is never inflated past the size checked here.
fn entries(bytes: &[u8]) -> Result<Vec<Entry<'_>>, ZipError> {
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
    let search_from = bytes.len().saturating_sub(65_557);
    let eocd = (search_from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&at| bytes[at..].starts_with(b"PK\x05\x06"))
        .ok_or_else(|| ZipError("no end-of-central-directory record".into()))?;
    let count = u16_at(bytes, eocd + 10)? as usize;
    let directory = u32_at(bytes, eocd + 16)? as usize;
    if directory == 0xFFFF_FFFF || count == 0xFFFF {
        return Err(ZipError("ZIP64 archives are not supported".into()));
    }
    let mut entries = Vec::with_capacity(count.min(1024));
    let mut total = 0usize;
    let mut at = directory;
    for _ in 0..count {
        if !bytes
            .get(at..)
            .is_some_and(|b| b.starts_with(b"PK\x01\x02"))
        {
            return Err(ZipError(format!(
                "bad central directory entry at byte {at}"
            )));
        }
        let flags = u16_at(bytes, at + 8)?;
        let method = u16_at(bytes, at + 10)?;
        let compressed = u32_at(bytes, at + 20)? as usize;
        let size = u32_at(bytes, at + 24)? as usize;
        let name_len = u16_at(bytes, at + 28)? as usize;
        let extra_len = u16_at(bytes, at + 30)? as usize;
        let comment_len = u16_at(bytes, at + 32)? as usize;
        let local = u32_at(bytes, at + 42)? as usize;
        let name_bytes = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| ZipError("truncated file name".into()))?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        // Names in messages: a hostile archive's names can be 64 KiB long.
        let shown = crate::text::shorten(&name, crate::text::MAX_VALUE);
        at += 46 + name_len + extra_len + comment_len;
        if flags & 1 != 0 {
            return Err(ZipError(format!("{shown} is encrypted")));
        }
        if method != 0 && method != 8 {
            return Err(ZipError(format!(
                "{shown} uses compression method {method}, not supported"
            )));
        }
        // A stored member is its bytes: what the archive holds, whatever
        // the header claims.
        let size = if method == 0 { compressed } else { size };
        if size > MAX_MEMBER {
            return Err(ZipError(format!(
                "{shown} is too large: it inflates to {} MiB, more than the {} MiB a member may have",
                mib(size),
                mib(MAX_MEMBER)
            )));
        }
        if size > RATIO_FROM && size / compressed.max(1) > MAX_RATIO {
            return Err(ZipError(format!(
                "{shown} would inflate {} times (from {compressed} to {size} bytes); statement files compress at most about {MAX_RATIO} times, so this is refused as a possible ZIP bomb",
                size / compressed.max(1)
            )));
        }
        total = total.saturating_add(size);
        if total > MAX_TOTAL {
            return Err(ZipError(format!(
                "{shown} brings the archive to more than {} MiB in total when inflated; refused as a possible ZIP bomb",
                mib(MAX_TOTAL)
            )));
        }
        if !bytes
            .get(local..)
            .is_some_and(|b| b.starts_with(b"PK\x03\x04"))
        {
            return Err(ZipError(format!("bad local header for {shown}")));
        }
        let data_start =
            local + 30 + u16_at(bytes, local + 26)? as usize + u16_at(bytes, local + 28)? as usize;
        let data = bytes
            .get(data_start..data_start.saturating_add(compressed))
            .ok_or_else(|| ZipError(format!("{shown} runs past the end of the archive")))?;
        entries.push(Entry {
            name,
            method,
            data,
            size,
        });
    }
    Ok(entries)
}

/// The members of the archive as (name, content), in central-directory order.
pub fn read_members(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ZipError> {
    let entries = entries(bytes)?;
    let mut members = Vec::with_capacity(entries.len());
    let mut total = 0usize;
    for Entry {
        name,
        method,
        data,
        size,
    } in entries
    {
        let shown = crate::text::shorten(&name, crate::text::MAX_VALUE);
        let content = match method {
            8 => {
                // The declared size was checked against the limits; the
                // data may say otherwise, so it is the cap while inflating.
                let limit = size.min(MAX_TOTAL.saturating_sub(total)).max(1);
                miniz_oxide::inflate::decompress_to_vec_with_limit(data, limit).map_err(|e| {
                    match e.status {
                        miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ZipError(format!(
                            "{shown} inflates to more than the {size} bytes its header declares; the archive is damaged or a ZIP bomb"
                        )),
                        status => ZipError(format!("{shown} cannot be inflated: {status:?}")),
                    }
                })?
            }
            _ => data.to_vec(),
        };
        total += content.len();
        members.push((name, content));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A stored (uncompressed) archive with one member, built by hand.
    fn stored(name: &str, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(b"PK\x03\x04");
        out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend((content.len() as u32).to_le_bytes());
        out.extend((content.len() as u32).to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0, 0]);
        out.extend(name.as_bytes());
        out.extend(content);
        let directory = out.len() as u32;
        out.extend(b"PK\x01\x02");
        out.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend((content.len() as u32).to_le_bytes());
        out.extend((content.len() as u32).to_le_bytes());
        out.extend((name.len() as u16).to_le_bytes());
        out.extend([0; 12]);
        out.extend(0u32.to_le_bytes());
        out.extend(name.as_bytes());
        let size = out.len() as u32 - directory;
        out.extend(b"PK\x05\x06");
        out.extend([0, 0, 0, 0, 1, 0, 1, 0]);
        out.extend(size.to_le_bytes());
        out.extend(directory.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    #[test]
    fn reads_a_stored_member() {
        let archive = stored("a.xml", b"<Document/>");
        assert_eq!(
            read_members(&archive).unwrap(),
            vec![("a.xml".to_string(), b"<Document/>".to_vec())]
        );
        assert!(read_members(&archive[..archive.len() - 5]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = read_members(&bytes);
            bytes.splice(0..0, stored("x", b"abc"));
            let _ = read_members(&bytes);
        }

        #[test]
        fn never_panics_on_damaged_archives(flip in 0usize..120, value in any::<u8>()) {
            let mut archive = stored("member.xml", b"<Document>content</Document>");
            let idx = flip % archive.len();
            archive[idx] = value;
            let _ = read_members(&archive);
        }
    }
}
