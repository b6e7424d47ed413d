//! SQLite's write-ahead log, read as a file: its header, its frames, and the
//! checksums that tell a committed frame from a torn or stale one.
//!
//! The format is SQLite's own (its documentation, "WAL file format"): a
//! 32-byte header, then frames of a 24-byte header and one page each. Every
//! frame carries the log's two salts and a running checksum over the header
//! and every frame before it, so a frame counts only while all of them hold;
//! a frame whose "size after commit" is non-zero ends a transaction.

/// The 32-byte header of a log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Whether the checksums read their words big-endian (magic `…83`).
    pub big_endian: bool,
    pub page_size: u32,
    /// Incremented each time the log restarts after a checkpoint.
    pub checkpoint_seq: u32,
    pub salt: [u32; 2],
    /// The running checksum after the header: the first frame's seed.
    pub checksum: [u32; 2],
}

pub const HEADER_LEN: usize = 32;
pub const FRAME_HEADER_LEN: usize = 24;

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// SQLite's log checksum: over pairs of 32-bit words, in the byte order the
/// header's magic names, continuing from `seed`. `data` is a multiple of 8.
pub fn checksum(big_endian: bool, seed: [u32; 2], data: &[u8]) -> [u32; 2] {
    let [mut s0, mut s1] = seed;
    for pair in data.chunks_exact(8) {
        let word = |i: usize| {
            let w = [pair[i], pair[i + 1], pair[i + 2], pair[i + 3]];
            if big_endian {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        };
        s0 = s0.wrapping_add(word(0)).wrapping_add(s1);
        s1 = s1.wrapping_add(word(4)).wrapping_add(s0);
    }
    [s0, s1]
}

impl Header {
    /// The header at the start of a log, if it is one whose checksum holds.
    pub fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < HEADER_LEN {
            return None;
        }
        let big_endian = match be32(b, 0) {
            0x377f_0682 => false,
            0x377f_0683 => true,
            _ => return None,
        };
        let page_size = be32(b, 8);
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return None;
        }
        let checksum_stored = [be32(b, 24), be32(b, 28)];
        if checksum(big_endian, [0, 0], &b[..24]) != checksum_stored {
            return None;
        }
        Some(Header {
            big_endian,
            page_size,
            checkpoint_seq: be32(b, 12),
            salt: [be32(b, 16), be32(b, 20)],
            checksum: checksum_stored,
        })
    }

    pub fn frame_len(&self) -> usize {
        FRAME_HEADER_LEN + self.page_size as usize
    }
}

/// What a scan of frames found: how many bytes of whole transactions, and
/// where the running checksum stands after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// Bytes of frames, from the scan's start, up to the end of the last
    /// commit frame.
    pub committed: usize,
    pub frames: u32,
    pub commits: u32,
    /// The checksum after the last commit frame (the next scan's seed).
    pub checksum: [u32; 2],
    /// The database's size in pages after the last commit.
    pub db_pages: u32,
}

/// Scan `bytes`, frames that follow a point whose running checksum is
/// `seed`, and find the whole transactions among them: every frame must
/// carry the header's salts and a checksum that continues the chain. The
/// scan stops at the first frame that does not (the log's live end, or a
/// frame being written) and counts only up to the last commit before it.
pub fn scan(header: &Header, seed: [u32; 2], bytes: &[u8]) -> Scan {
    let frame_len = header.frame_len();
    let mut running = seed;
    let mut found = Scan {
        committed: 0,
        frames: 0,
        commits: 0,
        checksum: seed,
        db_pages: 0,
    };
    let mut frames = 0u32;
    let mut at = 0usize;
    while at + frame_len <= bytes.len() {
        let f = &bytes[at..at + frame_len];
        if [be32(f, 8), be32(f, 12)] != header.salt {
            break;
        }
        let sum = checksum(header.big_endian, running, &f[..8]);
        let sum = checksum(header.big_endian, sum, &f[FRAME_HEADER_LEN..]);
        if sum != [be32(f, 16), be32(f, 20)] {
            break;
        }
        running = sum;
        frames += 1;
        at += frame_len;
        let db_pages = be32(f, 4);
        if db_pages != 0 {
            found = Scan {
                committed: at,
                frames,
                commits: found.commits + 1,
                checksum: running,
                db_pages,
            };
        }
    }
    found
}

/// Write whole transactions' frames into a database file: each frame's page
/// at its place, and the file cut to the size its commit frame gives. Pages
/// are full images, so applying a log's frames in order from its start
/// yields the database as of the last commit applied, whatever of them the
/// file already held.
pub fn apply(file: &mut std::fs::File, page_size: u32, frames: &[u8]) -> std::io::Result<u32> {
    use std::io::{Seek, SeekFrom, Write};
    let frame_len = FRAME_HEADER_LEN + page_size as usize;
    if !frames.len().is_multiple_of(frame_len) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{} bytes of frames is not a whole number of {frame_len}-byte frames",
                frames.len()
            ),
        ));
    }
    let mut commits = 0;
    for f in frames.chunks_exact(frame_len) {
        let page = be32(f, 0);
        if page == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a frame names page 0",
            ));
        }
        file.seek(SeekFrom::Start(u64::from(page - 1) * u64::from(page_size)))?;
        file.write_all(&f[FRAME_HEADER_LEN..])?;
        let db_pages = be32(f, 4);
        if db_pages != 0 {
            file.set_len(u64::from(db_pages) * u64::from(page_size))?;
            commits += 1;
        }
    }
    Ok(commits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(big_endian: bool, page_size: u32, salt: [u32; 2]) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(
            &(if big_endian {
                0x377f_0683u32
            } else {
                0x377f_0682
            })
            .to_be_bytes(),
        );
        h.extend_from_slice(&3_007_000u32.to_be_bytes());
        h.extend_from_slice(&page_size.to_be_bytes());
        h.extend_from_slice(&7u32.to_be_bytes());
        h.extend_from_slice(&salt[0].to_be_bytes());
        h.extend_from_slice(&salt[1].to_be_bytes());
        let sum = checksum(big_endian, [0, 0], &h);
        h.extend_from_slice(&sum[0].to_be_bytes());
        h.extend_from_slice(&sum[1].to_be_bytes());
        h
    }

    fn frame(h: &Header, seed: [u32; 2], page: u32, commit: u32, fill: u8) -> (Vec<u8>, [u32; 2]) {
        let mut f = Vec::new();
        f.extend_from_slice(&page.to_be_bytes());
        f.extend_from_slice(&commit.to_be_bytes());
        f.extend_from_slice(&h.salt[0].to_be_bytes());
        f.extend_from_slice(&h.salt[1].to_be_bytes());
        let data = vec![fill; h.page_size as usize];
        let sum = checksum(h.big_endian, checksum(h.big_endian, seed, &f[..8]), &data);
        f.extend_from_slice(&sum[0].to_be_bytes());
        f.extend_from_slice(&sum[1].to_be_bytes());
        f.extend_from_slice(&data);
        (f, sum)
    }

    #[test]
    fn a_header_parses_only_with_its_checksum() {
        for be in [false, true] {
            let mut h = header(be, 4096, [1, 2]);
            let parsed = Header::parse(&h).expect("header");
            assert_eq!(
                (parsed.page_size, parsed.salt, parsed.big_endian),
                (4096, [1, 2], be)
            );
            h[13] ^= 1;
            assert!(Header::parse(&h).is_none());
        }
        assert!(Header::parse(&[0u8; 10]).is_none());
    }

    #[test]
    fn a_scan_counts_up_to_the_last_commit_and_stops_at_a_broken_frame() {
        let h = Header::parse(&header(false, 512, [9, 10])).unwrap();
        let mut bytes = Vec::new();
        let mut seed = h.checksum;
        for (page, commit) in [(1, 0), (2, 2), (3, 0), (1, 3), (4, 0)] {
            let (f, s) = frame(&h, seed, page, commit, page as u8);
            bytes.extend_from_slice(&f);
            seed = s;
        }
        let s = scan(&h, h.checksum, &bytes);
        assert_eq!((s.frames, s.commits, s.db_pages), (4, 2, 3));
        assert_eq!(s.committed, 4 * h.frame_len());
        // A flipped byte in the third frame ends the valid log at the first commit.
        bytes[2 * h.frame_len() + 100] ^= 0xff;
        let s = scan(&h, h.checksum, &bytes);
        assert_eq!((s.frames, s.commits), (2, 1));
        // A stale frame from an older log (other salts) is not counted.
        let old = Header::parse(&header(false, 512, [1, 1])).unwrap();
        let (f, _) = frame(&old, old.checksum, 1, 1, 0);
        assert_eq!(scan(&h, h.checksum, &f).frames, 0);
    }

    #[test]
    fn applying_frames_writes_pages_and_cuts_the_file() {
        let dir = std::env::temp_dir().join(format!("wal-apply-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db");
        std::fs::write(&path, vec![0u8; 512 * 5]).unwrap();
        let h = Header::parse(&header(true, 512, [3, 4])).unwrap();
        let (a, s) = frame(&h, h.checksum, 2, 0, 0xaa);
        let (b, _) = frame(&h, s, 1, 3, 0xbb);
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        assert_eq!(apply(&mut file, 512, &[a, b].concat()).unwrap(), 1);
        let got = std::fs::read(&path).unwrap();
        assert_eq!(got.len(), 512 * 3);
        assert!(got[..512].iter().all(|&x| x == 0xbb));
        assert!(got[512..1024].iter().all(|&x| x == 0xaa));
        assert!(apply(&mut file, 512, &[1, 2, 3]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
