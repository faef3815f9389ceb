//! The store's `ResourceLimiter`: caps total linear memory, remembers the peak, and counts the
//! growth it refuses.

use wasmtime::ResourceLimiter;

/// Elements a table may grow to; tables are not a user-facing limit, this only stops a guest
/// from making the host allocate without end.
const MAX_TABLE_ELEMENTS: usize = 10_000_000;

/// Core instances a store may hold: one for a module, a handful for a component.
const MAX_INSTANCES: usize = 1_000;

/// Tracks linear memory of every memory in one store against one cap.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    max_memory_bytes: usize,
    /// Bytes of all memories now.
    total: usize,
    peak: usize,
    /// The last growth allowed, undone if Wasmtime then fails to perform it.
    last_granted: usize,
    grow_failures: u32,
    /// True while the instance is being created: a memory created over the cap then means the
    /// module cannot run within it at all (as opposed to a refused `memory.grow`).
    instantiating: bool,
    initial_refused: bool,
}

impl MemoryLimiter {
    pub(crate) fn new(max_memory_bytes: usize) -> MemoryLimiter {
        MemoryLimiter {
            max_memory_bytes,
            total: 0,
            peak: 0,
            last_granted: 0,
            grow_failures: 0,
            instantiating: true,
            initial_refused: false,
        }
    }

    /// Called once instantiation is over; later refusals are grow failures.
    pub(crate) fn instantiated(&mut self) {
        self.instantiating = false;
    }

    pub(crate) fn peak(&self) -> usize {
        self.peak
    }

    pub(crate) fn grow_failures(&self) -> u32 {
        self.grow_failures
    }

    /// Whether a memory's initial size was over the cap.
    pub(crate) fn initial_refused(&self) -> bool {
        self.initial_refused
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Past the memory's own declared maximum: Wasmtime refuses anyway, and it is not our cap.
        if maximum.is_some_and(|m| desired > m) {
            return Ok(false);
        }
        let after = (self.total - current.min(self.total)).saturating_add(desired);
        if after <= self.max_memory_bytes {
            self.last_granted = desired - current.min(desired);
            self.total = after;
            self.peak = self.peak.max(after);
            return Ok(true);
        }
        if current == 0 && self.instantiating {
            self.initial_refused = true;
        } else {
            self.grow_failures += 1;
        }
        Ok(false)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.total -= self.last_granted.min(self.total);
        self.last_granted = 0;
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 65536;

    #[test]
    fn counts_the_total_of_all_memories_against_one_cap() {
        let mut l = MemoryLimiter::new(4 * PAGE);
        assert!(l.memory_growing(0, 2 * PAGE, None).unwrap());
        assert!(l.memory_growing(0, PAGE, None).unwrap());
        l.instantiated();
        assert!(l.memory_growing(2 * PAGE, 3 * PAGE, None).unwrap());
        assert!(!l.memory_growing(PAGE, 2 * PAGE, None).unwrap());
        assert_eq!((l.peak(), l.grow_failures()), (4 * PAGE, 1));
        assert!(!l.initial_refused());
    }

    #[test]
    fn an_initial_memory_over_the_cap_is_not_a_grow_failure() {
        let mut l = MemoryLimiter::new(PAGE);
        assert!(!l.memory_growing(0, 2 * PAGE, None).unwrap());
        assert!(l.initial_refused());
        assert_eq!(l.grow_failures(), 0);
    }

    #[test]
    fn growth_past_the_declared_maximum_is_not_counted() {
        let mut l = MemoryLimiter::new(16 * PAGE);
        assert!(l.memory_growing(0, PAGE, Some(PAGE)).unwrap());
        l.instantiated();
        assert!(!l.memory_growing(PAGE, 2 * PAGE, Some(PAGE)).unwrap());
        assert_eq!(l.grow_failures(), 0);
        assert_eq!(l.peak(), PAGE);
    }

    #[test]
    fn a_failed_grow_is_taken_back() {
        let mut l = MemoryLimiter::new(16 * PAGE);
        assert!(l.memory_growing(0, PAGE, None).unwrap());
        l.instantiated();
        assert!(l.memory_growing(PAGE, 8 * PAGE, None).unwrap());
        l.memory_grow_failed(wasmtime::Error::msg("mmap failed"))
            .unwrap();
        assert!(l.memory_growing(PAGE, 16 * PAGE, None).unwrap());
    }
}
