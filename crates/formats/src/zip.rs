//! Reading the members of a ZIP archive (banks deliver CAMT files zipped).
//!
//! Only what statement archives use: stored and deflated members, no
//! encryption, no ZIP64. Every offset and size is checked against the
//! archive, so a damaged file gives an error, never a panic.

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

/// Members larger than this are refused (a statement archive is far smaller).
const MAX_MEMBER: usize = 512 << 20;

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

/// The members of the archive as (name, content), in central-directory order.
pub fn read_members(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ZipError> {
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
    let mut members = Vec::with_capacity(count.min(1024));
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
        at += 46 + name_len + extra_len + comment_len;
        if flags & 1 != 0 {
            return Err(ZipError(format!("{name} is encrypted")));
        }
        if size > MAX_MEMBER {
            return Err(ZipError(format!("{name} is too large")));
        }
        if !bytes
            .get(local..)
            .is_some_and(|b| b.starts_with(b"PK\x03\x04"))
        {
            return Err(ZipError(format!("bad local header for {name}")));
        }
        let data_start =
            local + 30 + u16_at(bytes, local + 26)? as usize + u16_at(bytes, local + 28)? as usize;
        let data = bytes
            .get(data_start..data_start.saturating_add(compressed))
            .ok_or_else(|| ZipError(format!("{name} runs past the end of the archive")))?;
        let content = match method {
            0 => data.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec_with_limit(data, size.max(1))
                .map_err(|e| ZipError(format!("{name} cannot be inflated: {e:?}")))?,
            other => {
                return Err(ZipError(format!(
                    "{name} uses compression method {other}, not supported"
                )));
            }
        };
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
