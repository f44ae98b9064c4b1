//! The list envelope of the JSON API: `{"items": [...], "meta": {...}}`.

use palisade_domain::page::Page;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub total_pages: u32,
}

pub(crate) fn items_and_meta<T, D: From<T>>(p: Page<T>) -> (Vec<D>, ListMeta) {
    let meta = meta(&p);
    (p.items.into_iter().map(Into::into).collect(), meta)
}

pub(crate) fn meta<T>(p: &Page<T>) -> ListMeta {
    ListMeta {
        total: p.total,
        page: p.page,
        per_page: p.per_page,
        total_pages: p.total_pages(),
    }
}
