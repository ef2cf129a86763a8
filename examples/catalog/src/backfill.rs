//! Backfill: copies every product from product's API into `product_copy`, so a catalog on a
//! new database lists products at once instead of waiting for each one to change. Events keep
//! the copy current afterwards, but cannot fill it: product's stream keeps an event for a
//! limited time (`STREAM_MAX_AGE`, `src/events/nats.rs`) and its outbox only until published.
//!
//! `serve` runs one in the background when none has finished on this database yet
//! (`BACKFILL_ON_START`, default true), beside the event consumer; `catalog backfill` runs one
//! on demand and exits. Either is safe while product changes and while events are applied:
//!
//! - A copy is written with the event handler's rule (`src/events/product_changed.rs`): only
//!   over an older version. A product read just before it changed, whose event was applied
//!   first, keeps the newer version; a deletion applied first is not undone.
//! - product lists in creation order, by offset, and a deletion moves every later product one
//!   place up: paged naively, a listing skips a product for each deletion before the page.
//!   [`Cursor`] reads each page from the last product it read and steps back when that
//!   product is no longer where it was.
//! - A product created after the last page was read is not copied by the backfill: its
//!   creation event was published after the backfill started, so the stream still holds it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::clients::http::ClientError;
use crate::clients::product::{ListProductsQuery, ProductClient, ProductResponse};
use crate::config::{Config, Reader};

/// Products copied by backfills (written over no copy or an older one).
pub const COPIED_TOTAL: &str = "backfill_products_copied_total";

/// The longest wait between two attempts while product or the database is unreachable.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
/// product's largest page (`limit` is 1 to 100).
const MAX_PAGE_SIZE: i64 = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillConfig {
    /// `BACKFILL_ON_START`: whether `serve` backfills a database no backfill has finished on.
    pub on_start: bool,
    /// `BACKFILL_PAGE_SIZE`: products per request, 2 to 100.
    pub page_size: i64,
}

impl BackfillConfig {
    pub(crate) fn read(reader: &mut Reader<'_>) -> Self {
        Self {
            on_start: reader.parse("BACKFILL_ON_START", true, |v| {
                v.parse::<bool>()
                    .map_err(|_| "expected true or false".to_owned())
            }),
            page_size: reader.parse("BACKFILL_PAGE_SIZE", MAX_PAGE_SIZE, |v| match v.parse() {
                Ok(size @ 2..=MAX_PAGE_SIZE) => Ok(size),
                _ => Err(format!("expected an integer from 2 to {MAX_PAGE_SIZE}")),
            }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("cannot list product's products: {0}")]
    Product(#[from] ClientError),
    #[error("cannot write the product copies: {0}")]
    Database(#[from] sqlx::Error),
}

/// What one backfill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Report {
    /// Distinct products read from product.
    pub read: u64,
    /// Those written: the others already had this version or a newer one.
    pub copied: u64,
    /// Requests made, the steps back included.
    pub pages: u64,
}

/// Where to read the next page of a list in creation order, and which products of a page are
/// new, while products are deleted anywhere in the list and created at its end.
///
/// The products read so far are the head of the list as it is now, so the first unread one
/// follows the last read one. Each page is requested from the place of the last product read:
/// a page that begins with a product already read proves nothing was skipped. One that begins
/// with an unread product means deletions moved the list up, over products not read yet; the
/// cursor then steps back a page at a time until a page holds the boundary between read and
/// unread products, or starts the list.
#[derive(Debug)]
pub struct Cursor {
    offset: i64,
    limit: i64,
    read: HashSet<Uuid>,
    done: bool,
}

impl Cursor {
    /// Pages of `limit` products; at least 2, since consecutive pages overlap by one.
    pub fn new(limit: i64) -> Self {
        Self {
            offset: 0,
            limit: limit.max(2),
            read: HashSet::new(),
            done: false,
        }
    }

    /// The page to request next, `(offset, limit)`; `None` once the list is read to its end.
    pub fn next_page(&self) -> Option<(i64, i64)> {
        (!self.done).then_some((self.offset, self.limit))
    }

    /// Takes the page requested at [`Cursor::next_page`] (its items and the `total` it
    /// reported) and returns its products not read before, in list order.
    pub fn advance<T>(&mut self, items: Vec<T>, total: i64, id: impl Fn(&T) -> Uuid) -> Vec<T> {
        let len = items.len() as i64;
        let first_unread = items
            .iter()
            .position(|item| !self.read.contains(&id(item)))
            .unwrap_or(items.len());
        // An empty page past the start says as much: the list is now shorter than the offset.
        if first_unread == 0 && self.offset > 0 {
            self.offset = (self.offset - self.limit).max(0);
            return Vec::new();
        }
        let unread: Vec<T> = items.into_iter().skip(first_unread).collect();
        self.read.extend(unread.iter().map(&id));
        let end = self.offset + len;
        // A short page is the end of the list when it was read; so is `total`.
        if len < self.limit || end >= total {
            self.done = true;
        } else {
            self.offset = end - 1;
        }
        unread
    }

    /// Where the cursor is, for [`Cursor::undo`].
    pub fn mark(&self) -> Mark {
        Mark {
            offset: self.offset,
            done: self.done,
        }
    }

    /// Goes back to `mark`, forgetting the products `advance` returned since.
    pub fn undo(&mut self, mark: Mark, returned: impl IntoIterator<Item = Uuid>) {
        self.offset = mark.offset;
        self.done = mark.done;
        for id in returned {
            self.read.remove(&id);
        }
    }

    /// Distinct products read so far.
    pub fn read(&self) -> u64 {
        self.read.len() as u64
    }
}

/// A [`Cursor`]'s place, to go back to.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    offset: i64,
    done: bool,
}

/// One backfill in progress: [`Backfill::step`] reads and copies a page at a time, so a
/// failed step can be retried from where it was.
#[derive(Debug)]
pub struct Backfill {
    cursor: Cursor,
    report: Report,
}

impl Backfill {
    pub fn new(page_size: i64) -> Self {
        Self {
            cursor: Cursor::new(page_size),
            report: Report::default(),
        }
    }

    /// Reads the next page and copies its new products; `true` once every page is read.
    pub async fn step(
        &mut self,
        client: &ProductClient,
        pool: &PgPool,
    ) -> Result<bool, BackfillError> {
        let Some((offset, limit)) = self.cursor.next_page() else {
            return Ok(true);
        };
        let query = ListProductsQuery {
            limit: Some(limit),
            offset: Some(offset),
            ..ListProductsQuery::default()
        };
        let page = client.list_products(&query).await?;
        self.report.pages += 1;
        let mark = self.cursor.mark();
        let unread = self
            .cursor
            .advance(page.items, page.page.total, |product| product.id);
        let copied = match copy(pool, &unread).await {
            Ok(copied) => copied,
            Err(err) => {
                // Not copied, so not read: the retry reads the page again.
                self.cursor
                    .undo(mark, unread.iter().map(|product| product.id));
                return Err(err.into());
            }
        };
        self.report.copied += copied;
        self.report.read = self.cursor.read();
        metrics::counter!(COPIED_TOTAL).increment(copied);
        Ok(self.cursor.next_page().is_none())
    }

    pub fn report(&self) -> Report {
        self.report
    }
}

/// Writes each product's copy unless the copy already holds this version or a newer one (the
/// event handler's rule); returns how many were written.
pub async fn copy(pool: &PgPool, products: &[ProductResponse]) -> sqlx::Result<u64> {
    if products.is_empty() {
        return Ok(0);
    }
    // In id order, as the event handler writes, so the two lock rows in the same order.
    let mut rows: Vec<&ProductResponse> = products.iter().collect();
    rows.sort_unstable_by_key(|product| product.id);
    let written = sqlx::query(
        r#"insert into "product_copy"
         (id, version, deleted, "name", "description", "price_cents", "stock", "category", changed_at)
         select id, version, false, "name", "description", "price_cents", "stock", "category", changed_at
         from unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::integer[], $7::text[], $8::timestamptz[])
           as page(id, version, "name", "description", "price_cents", "stock", "category", changed_at)
         on conflict (id) do update set
         version = excluded.version, deleted = excluded.deleted,
         "name" = excluded."name", "description" = excluded."description", "price_cents" = excluded."price_cents", "stock" = excluded."stock", "category" = excluded."category", changed_at = excluded.changed_at, updated_at = now()
         where "product_copy".version < excluded.version"#,
    )
    .bind(column(&rows, |p| p.id))
    .bind(column(&rows, |p| p.version))
    .bind(column(&rows, |p| p.name.clone()))
    // The event carries an absent description as "", and so does the copy.
    .bind(column(&rows, |p| p.description.clone().unwrap_or_default()))
    .bind(column(&rows, |p| p.price_cents))
    .bind(column(&rows, |p| p.stock))
    .bind(column(&rows, |p| p.category.clone()))
    // The time of product's last change, as an event's `time` is.
    .bind(column(&rows, |p| p.updated_at))
    .execute(pool)
    .await?;
    Ok(written.rows_affected())
}

fn column<R, T>(rows: &[&R], value: impl Fn(&R) -> T) -> Vec<T> {
    rows.iter().map(|&row| value(row)).collect()
}

/// Reads every product page by page and copies it; gives up at the first error (the client
/// has already retried each request). `catalog backfill` and the tests use it.
pub async fn run(
    client: &ProductClient,
    pool: &PgPool,
    page_size: i64,
) -> Result<Report, BackfillError> {
    let mut backfill = Backfill::new(page_size);
    while !backfill.step(client, pool).await? {}
    Ok(backfill.report())
}

/// Whether a backfill has finished on this database.
pub async fn finished_before(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from backfills)")
        .fetch_one(pool)
        .await
}

/// Records a finished backfill, so `serve` does not run another.
pub async fn record_finished(pool: &PgPool, report: Report, elapsed: Duration) -> sqlx::Result<()> {
    sqlx::query(
        "insert into backfills (finished_at, duration_ms, products_read, products_copied, pages)
         values (now(), $1, $2, $3, $4)",
    )
    .bind(i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
    .bind(i64::try_from(report.read).unwrap_or(i64::MAX))
    .bind(i64::try_from(report.copied).unwrap_or(i64::MAX))
    .bind(i64::try_from(report.pages).unwrap_or(i64::MAX))
    .execute(pool)
    .await?;
    Ok(())
}

/// `catalog backfill`: one backfill now, recorded, whatever ran before.
pub async fn run_command(config: &Config) -> Result<Report, BackfillError> {
    let pool = crate::db::connect_lazy(&config.database);
    let client = ProductClient::from_config(config)?;
    let started = Instant::now();
    let report = run(&client, &pool, config.backfill.page_size).await?;
    let elapsed = started.elapsed();
    record_finished(&pool, report, elapsed).await?;
    log_finished(report, elapsed);
    pool.close().await;
    Ok(report)
}

/// `serve`'s backfill: when `BACKFILL_ON_START` is on and no backfill has finished on this
/// database, one runs in the background until it has, resuming where it was while product
/// or the database is unreachable. Abort the task to stop it: the next start runs it again.
pub fn spawn_on_start(
    config: &Config,
    pool: &PgPool,
) -> Result<Option<JoinHandle<()>>, ClientError> {
    if !config.backfill.on_start {
        return Ok(None);
    }
    let client = ProductClient::from_config(config)?;
    let pool = pool.clone();
    let page_size = config.backfill.page_size;
    Ok(Some(tokio::spawn(async move {
        let mut backoff = Backoff::new();
        let finished = loop {
            match finished_before(&pool).await {
                Ok(finished) => break finished,
                Err(err) => {
                    backoff
                        .wait_after("checking for an earlier backfill", &err)
                        .await
                }
            }
        };
        if finished {
            tracing::debug!("a backfill has finished on this database: none needed");
            return;
        }
        tracing::info!(page_size, "backfill: copying every product from product");
        let started = Instant::now();
        let mut backfill = Backfill::new(page_size);
        backoff.reset();
        loop {
            match backfill.step(&client, &pool).await {
                Ok(true) => break,
                Ok(false) => backoff.reset(),
                Err(err) => backoff.wait_after("backfill", &err).await,
            }
        }
        let (report, elapsed) = (backfill.report(), started.elapsed());
        backoff.reset();
        while let Err(err) = record_finished(&pool, report, elapsed).await {
            backoff.wait_after("recording the backfill", &err).await;
        }
        log_finished(report, elapsed);
    })))
}

/// The growing wait between attempts while product or the database is unreachable.
struct Backoff {
    delay: Duration,
}

impl Backoff {
    fn new() -> Self {
        Self {
            delay: FIRST_RETRY_DELAY,
        }
    }

    async fn wait_after(&mut self, what: &str, err: &(dyn std::error::Error + Send + Sync)) {
        tracing::warn!(error = %err, retry_in_ms = self.delay.as_millis(), "{what} failed");
        tokio::time::sleep(self.delay).await;
        self.delay = (self.delay * 2).min(MAX_RETRY_DELAY);
    }

    fn reset(&mut self) {
        self.delay = FIRST_RETRY_DELAY;
    }
}

fn log_finished(report: Report, elapsed: Duration) {
    tracing::info!(
        read = report.read,
        copied = report.copied,
        pages = report.pages,
        elapsed_ms = elapsed.as_millis(),
        "backfill finished"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list product serves: ids in creation order.
    fn ids(n: usize) -> Vec<Uuid> {
        (0..n).map(|_| Uuid::new_v4()).collect()
    }

    /// Reads `list` to its end through a cursor of `limit`, letting `change` alter it before
    /// each request (the request's number is given); returns the products read, in order.
    fn read_all(
        list: &mut Vec<Uuid>,
        limit: i64,
        mut change: impl FnMut(u32, &mut Vec<Uuid>),
    ) -> Vec<Uuid> {
        let mut cursor = Cursor::new(limit);
        let mut read = Vec::new();
        let mut requests = 0;
        while let Some((offset, limit)) = cursor.next_page() {
            change(requests, list);
            requests += 1;
            assert!(requests < 10_000, "the cursor does not finish");
            let start = usize::try_from(offset)
                .expect("an offset >= 0")
                .min(list.len());
            let end = (start + usize::try_from(limit).expect("a limit >= 0")).min(list.len());
            let page = list[start..end].to_vec();
            read.extend(cursor.advance(page, list.len() as i64, |id| *id));
        }
        assert_eq!(cursor.read(), read.len() as u64);
        read
    }

    fn assert_no_duplicates(read: &[Uuid]) {
        let distinct: HashSet<&Uuid> = read.iter().collect();
        assert_eq!(distinct.len(), read.len(), "a product was returned twice");
    }

    #[test]
    fn an_unchanged_list_is_read_once_in_order() {
        for len in [0, 1, 2, 3, 4, 9, 10, 11] {
            let mut list = ids(len);
            let expected = list.clone();
            assert_eq!(
                read_all(&mut list, 3, |_, _| {}),
                expected,
                "{len} products"
            );
        }
    }

    #[test]
    fn deletions_before_the_page_skip_nothing() {
        let mut list = ids(10);
        let start = list.clone();
        // After the first page (0, 1, 2), products 0 and 1 go: product 3 moves to offset 1,
        // before the next page's offset 2 (the overlap of one covers a single deletion).
        let read = read_all(&mut list, 3, |request, list| {
            if request == 1 {
                list.drain(..2);
            }
        });
        assert_eq!(read, start);
    }

    #[test]
    fn a_list_shorter_than_the_offset_is_read_from_further_back() {
        let mut list = ids(6);
        let start = list.clone();
        // After two pages (0 to 4), products 0 to 2 go: offset 4 is past the end.
        let read = read_all(&mut list, 3, |request, list| {
            if request == 2 {
                list.drain(..3);
            }
        });
        assert_eq!(read, start);
    }

    #[test]
    fn deleting_the_last_product_read_skips_nothing() {
        let mut list = ids(10);
        let start = list.clone();
        // Product 2 ends the first page, then goes: the next page cannot begin with it.
        let read = read_all(&mut list, 3, |request, list| {
            if request == 1 {
                list.remove(2);
            }
        });
        assert_eq!(read, start);
    }

    #[test]
    fn more_deletions_than_a_page_step_back_until_the_boundary() {
        let mut list = ids(30);
        let start = list.clone();
        // After three pages (up to product 8), products 0 to 7 go: eight places, more than
        // two pages of three.
        let deleted: Vec<Uuid> = start[..8].to_vec();
        let read = read_all(&mut list, 3, |request, list| {
            if request == 3 {
                list.retain(|id| !deleted.contains(id));
            }
        });
        assert_no_duplicates(&read);
        for id in &start[8..] {
            assert!(read.contains(id), "a product that stayed was skipped");
        }
    }

    #[test]
    fn products_created_while_reading_are_read_once() {
        let mut list = ids(7);
        let start = list.clone();
        let read = read_all(&mut list, 3, |request, list| {
            if request < 4 {
                list.push(Uuid::new_v4());
            }
        });
        assert_no_duplicates(&read);
        assert_eq!(&read[..7], &start[..]);
        assert_eq!(read.len(), list.len());
    }

    /// Random deletions and creations between pages, for many seeds: every product there from
    /// start to end is read, and none twice.
    #[test]
    fn under_random_changes_every_product_that_stays_is_read_once() {
        for seed in 1..=300_u64 {
            let mut state = seed;
            let mut random = move |below: usize| {
                // A 64-bit LCG (Knuth's MMIX constants): enough to shuffle test cases.
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                usize::try_from(state >> 33).expect("31 bits fit") % below.max(1)
            };
            let mut list = ids(5 + random(60));
            let start = list.clone();
            let limit = 2 + random(9) as i64;
            let mut deleted = HashSet::new();
            let read = read_all(&mut list, limit, |_, list| {
                for _ in 0..random(4) {
                    match random(3) {
                        0 | 1 if !list.is_empty() => {
                            deleted.insert(list.remove(random(list.len())));
                        }
                        _ => list.push(Uuid::new_v4()),
                    }
                }
            });
            assert_no_duplicates(&read);
            for id in start.iter().filter(|id| !deleted.contains(id)) {
                assert!(
                    read.contains(id),
                    "seed {seed}: a product that stayed was skipped"
                );
            }
        }
    }

    #[test]
    fn undo_forgets_what_the_last_page_returned() {
        let mut cursor = Cursor::new(3);
        let list = ids(5);
        let mark = cursor.mark();
        let unread = cursor.advance(list[..3].to_vec(), 5, |id| *id);
        cursor.undo(mark, unread);
        assert_eq!(cursor.next_page(), Some((0, 3)));
        assert_eq!(cursor.read(), 0);
        assert_eq!(cursor.advance(list[..3].to_vec(), 5, |id| *id), list[..3]);
    }
}
