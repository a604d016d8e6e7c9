//! The most-read picture variants, kept in memory up to a budget in bytes
//! (`media_cache_mb`); the least recently read goes first when it is full.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;

use super::Address;

#[derive(Debug)]
pub struct HotVariants {
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Address, (Bytes, u64)>,
    used: usize,
    clock: u64,
}

impl HotVariants {
    pub fn new(budget_bytes: usize) -> Self {
        Self { budget: budget_bytes, inner: Mutex::new(Inner::default()) }
    }

    pub fn get(&self, address: &Address) -> Option<Bytes> {
        let mut inner = self.inner.lock().ok()?;
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner.entries.get_mut(address)?;
        entry.1 = now;
        Some(entry.0.clone())
    }

    /// Keeps `bytes`, making room by dropping the least recently read; a
    /// variant larger than a quarter of the budget is not kept at all.
    pub fn put(&self, address: Address, bytes: Bytes) {
        if bytes.len() > self.budget / 4 {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else { return };
        while inner.used + bytes.len() > self.budget {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(a, _)| a.clone()) else {
                break;
            };
            if let Some((gone, _)) = inner.entries.remove(&oldest) {
                inner.used -= gone.len();
            }
        }
        inner.clock += 1;
        let now = inner.clock;
        inner.used += bytes.len();
        if let Some((old, _)) = inner.entries.insert(address, (bytes, now)) {
            inner.used -= old.len();
        }
    }

    /// Lets go of every size of the picture `hash` (deleted).
    pub fn forget(&self, hash: &str) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let gone: usize = inner.entries.iter().filter(|(a, _)| a.hash == hash).map(|(_, (b, _))| b.len()).sum();
        inner.entries.retain(|address, _| address.hash != hash);
        inner.used -= gone;
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.inner.lock().map(|inner| inner.used).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Format;

    fn address(width: u32) -> Address {
        Address { hash: "0123456789abcdef0123".into(), width, format: Format::Jpeg }
    }

    #[test]
    fn the_least_recently_read_goes_first_and_the_budget_holds() {
        let hot = HotVariants::new(100);
        hot.put(address(1), vec![0; 25].into());
        hot.put(address(2), vec![0; 25].into());
        hot.put(address(3), vec![0; 25].into());
        hot.put(address(4), vec![0; 25].into());
        assert!(hot.get(&address(1)).is_some());
        hot.put(address(5), vec![0; 25].into());
        assert!(hot.get(&address(2)).is_none(), "the least recently read is dropped");
        assert!(hot.get(&address(1)).is_some());
        assert!(hot.used() <= 100);
    }
}
