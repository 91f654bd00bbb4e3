//! Columnar metric history: one `f64` frame of every series per tick, in a bounded ring.
//!
//! Time-major layout keeps a tick's write contiguous and a whole-history scan a linear read. Frames live in
//! chunks of [`CHUNK`] allocated as the history grows, so memory follows the frames held (8 bytes a sample
//! plus at most one partly filled chunk), not the capacity.

use bevy_ecs::prelude::*;

/// Frames per allocation.
pub const CHUNK: usize = 60;

/// Every series' samples, newest frames last, oldest dropped once `capacity` frames are held.
#[derive(Resource, Debug)]
pub struct History {
    width: usize,
    capacity: usize,
    /// Frames in the first chunk.
    first: usize,
    chunks: Vec<Box<[f64]>>,
    /// Ring slot of the oldest frame.
    head: usize,
    len: usize,
    /// Simulated time of the oldest frame held.
    first_t: i64,
    step: i64,
}

impl History {
    /// An empty history for `width` series and up to `capacity` frames `step` seconds apart.
    pub fn new(width: usize, capacity: usize, step: i64) -> History {
        History::with_first_chunk(width, capacity, step, CHUNK)
    }

    /// Like [`History::new`], with a first allocation of exactly `first` frames (the history known to
    /// come before the page), so a fresh drill holds no slack; later frames come in chunks of [`CHUNK`].
    pub fn with_first_chunk(width: usize, capacity: usize, step: i64, first: usize) -> History {
        let first = first.max(1);
        let capacity = first + capacity.saturating_sub(first).div_ceil(CHUNK) * CHUNK;
        History { width, capacity, first, chunks: Vec::new(), head: 0, len: 0, first_t: 0, step }
    }

    /// Chunk and frame offset of a ring slot.
    fn locate(&self, slot: usize) -> (usize, usize) {
        if slot < self.first { (0, slot) } else { (1 + (slot - self.first) / CHUNK, (slot - self.first) % CHUNK) }
    }

    /// Number of series per frame.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Frames held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no frame has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Seconds between frames.
    pub fn step(&self) -> i64 {
        self.step
    }

    /// Time of the oldest frame held.
    pub fn first_t(&self) -> i64 {
        self.first_t
    }

    /// Time of the newest frame, if any.
    pub fn last_t(&self) -> Option<i64> {
        (self.len > 0).then(|| self.first_t + (self.len as i64 - 1) * self.step)
    }

    /// Bytes held by samples.
    pub fn bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.len()).sum::<usize>() * std::mem::size_of::<f64>()
    }

    /// Appends the frame for time `t` (which must follow the newest by one step).
    pub fn push(&mut self, t: i64, frame: &[f64]) {
        debug_assert_eq!(frame.len(), self.width);
        if self.len == 0 {
            self.first_t = t;
        }
        let slot = if self.len < self.capacity {
            self.len += 1;
            (self.head + self.len - 1) % self.capacity
        } else {
            let slot = self.head;
            self.head = (self.head + 1) % self.capacity;
            self.first_t += self.step;
            slot
        };
        let (chunk, _) = self.locate(slot);
        if chunk >= self.chunks.len() {
            let frames = if chunk == 0 { self.first } else { CHUNK };
            self.chunks.push(vec![0.0; frames * self.width].into_boxed_slice());
        }
        self.slot_mut(slot).copy_from_slice(frame);
    }

    fn slot_mut(&mut self, slot: usize) -> &mut [f64] {
        let (chunk, offset) = self.locate(slot);
        let at = offset * self.width;
        &mut self.chunks[chunk][at..at + self.width]
    }

    /// The `i`-th frame held, oldest first.
    pub fn frame(&self, i: usize) -> &[f64] {
        let (chunk, offset) = self.locate((self.head + i) % self.capacity);
        let at = offset * self.width;
        &self.chunks[chunk][at..at + self.width]
    }

    /// Index of the first frame at or after `t`.
    pub fn index_at(&self, t: i64) -> usize {
        if t <= self.first_t {
            return 0;
        }
        (((t - self.first_t) + self.step - 1) / self.step).min(self.len as i64) as usize
    }

    /// Samples of one series from time `since` on, oldest first, with the time of the first one.
    pub fn series(&self, series: usize, since: i64) -> (i64, Vec<f64>) {
        let from = self.index_at(since);
        let values = (from..self.len).map(|i| self.frame(i)[series]).collect();
        (self.first_t + from as i64 * self.step, values)
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, History};

    #[test]
    fn first_chunk_fits_the_history_exactly_then_grows_by_chunks() {
        let mut h = History::with_first_chunk(3, 10, 60, 5);
        for k in 0..5 {
            h.push(k * 60, &[k as f64; 3]);
        }
        assert_eq!(h.bytes(), 5 * 3 * 8);
        h.push(300, &[5.0; 3]);
        assert_eq!(h.bytes(), (5 + CHUNK) * 3 * 8);
        assert_eq!(h.series(2, 0).1, vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        // Wrap around the whole ring: capacity is 5 + one chunk.
        for k in 6..(5 + CHUNK as i64 + 3) {
            h.push(k * 60, &[k as f64; 3]);
        }
        assert_eq!(h.len(), 5 + CHUNK);
        assert_eq!(h.series(0, 0).1[0], 3.0);
        assert_eq!(h.frame(h.len() - 1)[1], (5 + CHUNK + 2) as f64);
    }

    #[test]
    fn ring_drops_oldest_frames() {
        let mut h = History::new(2, 3, 60);
        // Capacity rounds up to whole chunks.
        for k in 0..(CHUNK as i64 + 2) {
            h.push(k * 60, &[k as f64, -(k as f64)]);
        }
        let n = CHUNK as i64 + 2;
        assert_eq!(h.len(), CHUNK);
        assert_eq!(h.first_t(), 120);
        assert_eq!(h.last_t(), Some((n - 1) * 60));
        assert_eq!(h.series(0, 0).1[..3], [2.0, 3.0, 4.0]);
        assert_eq!(h.series(1, (n - 1) * 60), ((n - 1) * 60, vec![-((n - 1) as f64)]));
        assert_eq!(h.bytes(), CHUNK * 2 * 8);
    }
}
