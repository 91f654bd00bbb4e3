//! Log storage: structured lines kept columnar, texts in one arena so a grep scans memory once.

use crate::scenario::Level;
use bevy_ecs::prelude::*;
use memchr::memmem;

/// A bounded store of log lines in time order.
#[derive(Resource, Debug, Default)]
pub struct LogStore {
    times: Vec<i64>,
    services: Vec<u32>,
    levels: Vec<Level>,
    /// End offset of each line's text in `arena`.
    ends: Vec<usize>,
    arena: String,
    capacity: usize,
}

/// One stored line, borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogLine<'a> {
    /// Simulated time.
    pub t: i64,
    /// Service index.
    pub service: u32,
    /// Level.
    pub level: Level,
    /// Message text.
    pub text: &'a str,
}

/// Which lines to return.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    /// Only this service.
    pub service: Option<u32>,
    /// Only at or above this level.
    pub min_level: Option<Level>,
    /// Only lines containing this text.
    pub grep: Option<String>,
    /// Only lines matching this regular expression.
    pub regex: Option<regex::Regex>,
    /// Only lines at or after this time.
    pub since: i64,
    /// Only lines at or before this time.
    pub until: i64,
    /// At most this many, the newest.
    pub tail: usize,
}

impl LogStore {
    /// A store keeping at most `capacity` lines.
    pub fn new(capacity: usize) -> LogStore {
        LogStore { capacity: capacity.max(1), ..LogStore::default() }
    }

    /// Lines held.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Appends a line; its time must not precede the newest line's.
    pub fn push(&mut self, t: i64, service: u32, level: Level, text: &str) {
        if self.times.len() >= self.capacity {
            self.compact();
        }
        self.arena.push_str(text);
        self.times.push(t);
        self.services.push(service);
        self.levels.push(level);
        self.ends.push(self.arena.len());
    }

    /// Drops the oldest half of the lines.
    fn compact(&mut self) {
        let drop = (self.times.len() / 2).max(1);
        let cut = self.ends[drop - 1];
        self.times.drain(..drop);
        self.services.drain(..drop);
        self.levels.drain(..drop);
        self.ends.drain(..drop);
        self.arena.drain(..cut);
        for end in &mut self.ends {
            *end -= cut;
        }
    }

    fn start(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.ends[i - 1] }
    }

    /// The `i`-th line held, oldest first.
    pub fn line(&self, i: usize) -> LogLine<'_> {
        LogLine {
            t: self.times[i],
            service: self.services[i],
            level: self.levels[i],
            text: &self.arena[self.start(i)..self.ends[i]],
        }
    }

    /// Indices of the lines matching `filter`, oldest first, at most `filter.tail` of the newest.
    pub fn query(&self, filter: &LogFilter) -> Vec<usize> {
        let lo = self.times.partition_point(|&t| t < filter.since);
        let hi = self.times.partition_point(|&t| t <= filter.until);
        let keep = |i: usize| {
            filter.service.is_none_or(|s| self.services[i] == s)
                && filter.min_level.is_none_or(|l| self.levels[i] >= l)
                && filter.regex.as_ref().is_none_or(|r| r.is_match(self.line(i).text))
        };
        let mut hits: Vec<usize> = match filter.grep.as_deref() {
            None | Some("") => (lo..hi).rev().filter(|&i| keep(i)).take(filter.tail).collect(),
            Some(needle) => self.grep_range(lo, hi, needle, filter.tail, keep),
        };
        hits.reverse();
        hits
    }

    /// Newest-first matches of `needle` among lines `lo..hi`. Scans the arena forward (SIMD-accelerated)
    /// in blocks of lines taken newest block first, so a common needle stops early and a rare one reads
    /// the range once.
    fn grep_range(&self, lo: usize, hi: usize, needle: &str, tail: usize, keep: impl Fn(usize) -> bool) -> Vec<usize> {
        let finder = memmem::Finder::new(needle.as_bytes());
        let mut hits = Vec::new();
        let mut end = hi;
        while end > lo && hits.len() < tail {
            let start = end.saturating_sub(GREP_BLOCK).max(lo);
            let from = self.start(start);
            let hay = &self.arena.as_bytes()[from..self.ends[end - 1]];
            let mut block = Vec::new();
            let mut at = 0;
            while let Some(pos) = finder.find(&hay[at..]) {
                let abs = from + at + pos;
                // The line holding `abs`: the first whose end lies beyond it.
                let i = start + self.ends[start..end].partition_point(|&e| e <= abs);
                // A match must lie within one line; one that straddles two must not hide a match that
                // starts at the next line, so the search resumes there.
                if abs + needle.len() > self.ends[i] {
                    at = self.ends[i] - from;
                    continue;
                }
                if keep(i) {
                    block.push(i);
                }
                // Count each line once: resume at the next line.
                at = self.ends[i] - from;
            }
            hits.extend(block.into_iter().rev());
            end = start;
        }
        hits.truncate(tail);
        hits
    }
}

/// Lines per block of a grep.
const GREP_BLOCK: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> LogStore {
        let mut s = LogStore::new(100);
        s.push(0, 0, Level::Info, "GET / 200");
        s.push(10, 1, Level::Error, "insert failed: null value");
        s.push(20, 0, Level::Warn, "slow null check");
        s.push(30, 1, Level::Info, "GET /x 200");
        s
    }

    #[test]
    fn grep_finds_lines_in_order_and_respects_filters() {
        let s = store();
        let all = LogFilter { grep: Some("null".into()), until: 100, tail: 10, ..LogFilter::default() };
        assert_eq!(s.query(&all), vec![1, 2]);
        let svc = LogFilter { service: Some(1), ..all.clone() };
        assert_eq!(s.query(&svc), vec![1]);
        let tail = LogFilter { tail: 1, ..all.clone() };
        assert_eq!(s.query(&tail), vec![2]);
        let since = LogFilter { since: 15, ..all };
        assert_eq!(s.query(&since), vec![2]);
    }

    #[test]
    fn grep_does_not_match_across_line_boundaries() {
        let s = store();
        let f = LogFilter { grep: Some("200insert".into()), until: 100, tail: 10, ..LogFilter::default() };
        assert!(s.query(&f).is_empty());
    }

    #[test]
    fn a_straddling_match_does_not_hide_one_at_the_start_of_the_next_line() {
        let mut s = LogStore::new(10);
        s.push(0, 0, Level::Info, "x0");
        s.push(1, 0, Level::Info, "00 starts here");
        let f = LogFilter { grep: Some("00".into()), until: 10, tail: 10, ..LogFilter::default() };
        assert_eq!(s.query(&f), vec![1]);
    }

    #[test]
    fn a_store_of_one_line_keeps_the_newest() {
        let mut s = LogStore::new(1);
        s.push(0, 0, Level::Info, "a");
        s.push(1, 0, Level::Info, "b");
        assert_eq!(s.len(), 1);
        assert_eq!(s.line(0).text, "b");
    }

    #[test]
    fn compaction_keeps_newest_lines() {
        let mut s = LogStore::new(4);
        for k in 0..9 {
            s.push(k, 0, Level::Info, &format!("line {k}"));
        }
        assert!(s.len() <= 4);
        assert_eq!(s.line(s.len() - 1).text, "line 8");
        let f = LogFilter { grep: Some("line 7".into()), until: 100, tail: 10, ..LogFilter::default() };
        assert_eq!(s.query(&f).len(), 1);
    }
}
