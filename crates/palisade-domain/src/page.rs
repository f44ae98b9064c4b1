//! Pagination shared by pages and the API.

use serde::Serialize;

pub const DEFAULT_PER_PAGE: u32 = 50;
pub const MAX_PER_PAGE: u32 = 200;

/// A validated page request: `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    /// Missing values take defaults; out-of-range values are clamped rather than refused, so a
    /// hand-edited URL still shows something sensible.
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Self {
        Self {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE),
        }
    }

    /// A page request as the API takes it: a `page` from 1 and a `per_page` from 1 to
    /// [`MAX_PER_PAGE`], defaults when left out; anything else is refused, naming the field,
    /// so a client is never handed a different page from the one it asked for.
    pub fn checked(page: Option<u32>, per_page: Option<u32>) -> Result<Self, crate::FieldErrors> {
        let mut e = crate::FieldErrors::default();
        if page == Some(0) {
            e.push("page", "must be 1 or more (pages count from 1)");
        }
        if per_page.is_some_and(|n| n == 0 || n > MAX_PER_PAGE) {
            e.push("per_page", format!("must be from 1 to {MAX_PER_PAGE}"));
        }
        e.into_result()?;
        Ok(Self::new(page, per_page))
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(None, None)
    }
}

/// One page of results and the totals a caller needs to page on.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    /// A page of `items` out of `total` (as a database counts it), for the request.
    pub fn of(items: Vec<T>, total: i64, request: PageRequest) -> Self {
        Self {
            items,
            total: total.max(0) as u64,
            page: request.page,
            per_page: request.per_page,
        }
    }

    /// The requested page of a whole list held in memory.
    pub fn slice(all: Vec<T>, request: PageRequest) -> Self {
        let total = all.len() as i64;
        let items = all
            .into_iter()
            .skip(request.offset() as usize)
            .take(request.limit() as usize)
            .collect();
        Self::of(items, total, request)
    }

    pub fn total_pages(&self) -> u32 {
        let pages = self.total.div_ceil(u64::from(self.per_page.max(1)));
        u32::try_from(pages).unwrap_or(u32::MAX).max(1)
    }

    pub fn has_next(&self) -> bool {
        self.page < self.total_pages()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_offsets() {
        let p = PageRequest::new(Some(0), Some(10_000));
        assert_eq!((p.page, p.per_page), (1, MAX_PER_PAGE));
        assert_eq!(PageRequest::new(Some(3), Some(20)).offset(), 40);
    }

    #[test]
    fn the_api_refuses_pages_out_of_range() {
        assert_eq!(
            PageRequest::checked(None, None).unwrap(),
            PageRequest::default()
        );
        assert_eq!(
            PageRequest::checked(Some(2), Some(MAX_PER_PAGE)).unwrap(),
            PageRequest::new(Some(2), Some(MAX_PER_PAGE))
        );
        let fields = |page, per_page| -> Vec<String> {
            PageRequest::checked(page, per_page)
                .unwrap_err()
                .0
                .into_iter()
                .map(|f| f.field)
                .collect()
        };
        assert_eq!(fields(Some(0), None), ["page"]);
        assert_eq!(fields(None, Some(0)), ["per_page"]);
        assert_eq!(
            fields(Some(0), Some(MAX_PER_PAGE + 1)),
            ["page", "per_page"]
        );
    }

    #[test]
    fn total_pages_edges() {
        let page = |total| Page::<u8> {
            items: vec![],
            total,
            page: 1,
            per_page: 50,
        };
        assert_eq!(page(0).total_pages(), 1);
        assert_eq!(page(50).total_pages(), 1);
        assert_eq!(page(51).total_pages(), 2);
        assert!(page(51).has_next());
        assert!(!page(50).has_next());
    }
}
