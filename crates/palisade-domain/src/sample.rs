//! Deterministic pseudo-random numbers (xorshift64) for generated test and benchmark data: the
//! same seed gives the same data, so a failure or a figure can be reproduced.

pub struct Xorshift(u64);

impl Xorshift {
    /// A generator from a non-zero seed (zero would stay zero; it is replaced).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (which must not be zero).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `xs` (which must not be empty).
    pub fn pick<'a, T: ?Sized>(&mut self, xs: &[&'a T]) -> &'a T {
        xs[self.below(xs.len())]
    }

    /// True `in_ten` times in ten.
    pub fn chance(&mut self, in_ten: usize) -> bool {
        self.below(10) < in_ten
    }
}
