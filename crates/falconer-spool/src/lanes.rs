//! The lanes of the shared log: one per spooled output, by name, numbered in the file `lanes`
//! (one line per lane, `<number> <name in hex>`, appended and synced when a lane is first
//! used). Frames carry the number; each lane has its own read cursor (`cursor.<number>`).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// The `lanes` file.
pub(crate) struct Registry {
    file: File,
    pub(crate) by_name: HashMap<String, u32>,
    next: u32,
}

impl Registry {
    /// Opens (or creates) `dir/lanes`. A line that does not read (a torn append) ends the file.
    pub(crate) fn open(dir: &Path) -> io::Result<Registry> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(dir.join("lanes"))?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let mut by_name = HashMap::new();
        let mut next = 1;
        for line in text.split_inclusive('\n') {
            let Some((id, name)) = line
                .strip_suffix('\n')
                .and_then(|l| l.split_once(' '))
                .and_then(|(id, hex)| Some((id.parse::<u32>().ok()?, unhex(hex)?)))
            else {
                break;
            };
            next = next.max(id + 1);
            by_name.insert(name, id);
        }
        Ok(Registry {
            file,
            by_name,
            next,
        })
    }

    /// The number of lane `name`, registered (durably) if it is new.
    pub(crate) fn id(&mut self, name: &str) -> io::Result<u32> {
        if let Some(id) = self.by_name.get(name) {
            return Ok(*id);
        }
        let id = self.next;
        self.file
            .write_all(format!("{id} {}\n", hex(name)).as_bytes())?;
        self.file.sync_data()?;
        self.next += 1;
        self.by_name.insert(name.to_owned(), id);
        Ok(id)
    }

    /// The name of lane `id`.
    pub(crate) fn name(&self, id: u32) -> Option<&str> {
        self.by_name
            .iter()
            .find(|(_, v)| **v == id)
            .map(|(k, _)| k.as_str())
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(h: &str) -> Option<String> {
    if h.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_keep_their_numbers_and_odd_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Registry::open(dir.path()).unwrap();
        assert_eq!(r.id("siem").unwrap(), 1);
        assert_eq!(r.id("a b\nc é").unwrap(), 2);
        assert_eq!(r.id("siem").unwrap(), 1);
        drop(r);
        // A torn append at the end is ignored.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("lanes"))
            .unwrap();
        f.write_all(b"3 7a").unwrap();
        let mut r = Registry::open(dir.path()).unwrap();
        assert_eq!(r.by_name.get("a b\nc é"), Some(&2));
        assert_eq!(r.name(1), Some("siem"));
        assert_eq!(r.id("new").unwrap(), 3);
    }
}
