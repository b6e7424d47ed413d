//! The books read back whole when the engine starts.

use super::*;

/// Transfers read at a time at start.
const PAGE: i64 = 100_000;

/// How far back the taps loaded at start reach: a day.
const RECENT_MICROS: i64 = 86_400_000_000;

/// What the engine stored, to replay: the batch number, the accounts as
/// opened, the ledger's events in order, and the books' rows.
pub struct Loaded {
    pub batch: i64,
    pub accounts: Vec<Account>,
    pub events: Vec<Event>,
    pub stored: Stored,
}

/// Everything the engine stored.
pub async fn load(conn: &mut AnyConnection) -> Result<Loaded> {
    let batch = super::snapshot::head(conn).await?;
    let accounts = super::snapshot::all_accounts(conn).await?;
    let events = ledger_events_after(conn, i64::MIN).await?;
    let mut stored = Stored::default();
    load_cards_and_terminals(conn, &mut stored, None).await?;
    load_the_rest(conn, &mut stored).await?;
    Ok(Loaded {
        batch,
        accounts,
        events,
        stored,
    })
}

/// The ledger's history after `after` (a timestamp) as the books replay
/// it: transfers in order, with the pending transfers that expired between
/// them.
pub(super) async fn ledger_events_after(
    conn: &mut AnyConnection,
    after: i64,
) -> Result<Vec<Event>> {
    // Page by page, so that the rows of a long history are never all held twice.
    let mut events = vec![];
    let mut after = after;
    loop {
        let (page, last) = events_page(conn, after, PAGE).await?;
        events.extend(page);
        match last {
            Some(last) => after = last,
            None => return Ok(events),
        }
    }
}

/// Up to `limit` transfers after `after`, with the expiries among them,
/// in the order of their timestamps, and the page's last timestamp; `None`
/// when this page ends the history (it then has every expiry left).
pub async fn events_page(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<(Vec<Event>, Option<i64>)> {
    let transfers: Vec<Transfer> =
        sqlx::query("SELECT * FROM card_transfers WHERE ts > $1 ORDER BY ts LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(transfer)
            .collect::<Result<_>>()?;
    let last = (transfers.len() as i64 == limit)
        .then(|| transfers.last().map(|t| t.timestamp))
        .flatten();
    let expiries: Vec<(i64, u64)> = sqlx::query(
        "SELECT ts, pending_id FROM card_expiries WHERE ts > $1 AND ts <= $2 ORDER BY ts",
    )
    .bind(after)
    .bind(last.unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("ts")?, unbits(r.try_get("pending_id")?))))
    .collect::<Result<_>>()?;
    let mut events = Vec::with_capacity(transfers.len() + expiries.len());
    let mut expiries = expiries.into_iter().peekable();
    for t in transfers {
        while let Some((ts, id)) = expiries.next_if(|(ts, _)| *ts < t.timestamp) {
            events.push(Event::Expired(id, ts));
        }
        events.push(Event::Transfer(t));
    }
    events.extend(expiries.map(|(ts, id)| Event::Expired(id, ts)));
    Ok((events, last))
}

/// Each terminal's sequence numbers seen, in the taps applied at or before
/// `upto` (all of them without it): when as many taps are stored as the
/// highest number, there is no gap and the highest is all it takes.
pub async fn seen_of_taps(
    conn: &mut AnyConnection,
    upto: Option<i64>,
) -> Result<Vec<(String, u64, Vec<u64>)>> {
    let upto = upto.unwrap_or(i64::MAX);
    let mut seen = vec![];
    for row in sqlx::query("SELECT terminal, CAST(MAX(seq) AS BIGINT) AS top, COUNT(*) AS n FROM card_taps WHERE applied_at <= $1 GROUP BY terminal")
        .bind(upto)
        .fetch_all(&mut *conn)
        .await?
    {
        let terminal: String = row.try_get("terminal")?;
        let (top, n): (i64, i64) = (row.try_get("top")?, row.try_get("n")?);
        if top == n {
            seen.push((terminal, unbits(top), vec![]));
            continue;
        }
        let seqs: Vec<u64> = sqlx::query("SELECT seq FROM card_taps WHERE terminal = $1 AND applied_at <= $2 ORDER BY seq")
            .bind(&terminal)
            .bind(upto)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(unbits(r.try_get("seq")?)))
            .collect::<Result<_>>()?;
        let upto = seqs
            .iter()
            .enumerate()
            .take_while(|(i, s)| **s == *i as u64 + 1)
            .count() as u64;
        let above = seqs.into_iter().filter(|s| *s > upto).collect();
        seen.push((terminal, upto, above));
    }
    seen.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(seen)
}

/// The cards, parties, terminals, each terminal's numbers seen and the
/// recent taps.
pub(super) async fn load_cards_and_terminals(
    conn: &mut AnyConnection,
    stored: &mut Stored,
    since: Option<i64>,
) -> Result<()> {
    for row in sqlx::query("SELECT * FROM cards ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.cards.push(card(&row)?);
    }
    for row in sqlx::query("SELECT * FROM card_parties ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
    {
        let accepts: String = row.try_get("accepts")?;
        stored.parties.push(Party {
            id: unbits(row.try_get("id")?),
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            accepts: serde_json::from_str(&accepts).map_err(|_| corrupt("a party's purses"))?,
            percent_of_price: u32::try_from(row.try_get::<i64, _>("percent_of_price")?)
                .map_err(|_| corrupt("percent_of_price"))?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_terminals ORDER BY code")
        .fetch_all(&mut *conn)
        .await?
    {
        let kind: String = row.try_get("kind")?;
        stored.terminals.push(Terminal {
            code: row.try_get("code")?,
            kind: TerminalKind::parse(&kind)
                .ok_or_else(|| corrupt(&format!("terminal kind {kind:?}")))?,
            party: unbits(row.try_get("party")?),
            network_id: row.try_get("network_id")?,
            public_key: row.try_get("public_key")?,
            registered_at: row.try_get("registered_at")?,
            retired_at: row.try_get("retired_at")?,
        });
    }
    // After a snapshot: the taps applied since (what it saw is in it).
    if let Some(since) = since {
        for row in
            sqlx::query("SELECT * FROM card_taps WHERE applied_at > $1 ORDER BY at, terminal, seq")
                .bind(since)
                .fetch_all(&mut *conn)
                .await?
        {
            stored.taps.push(tap(&row)?);
        }
        return Ok(());
    }
    stored.seen = seen_of_taps(conn, None).await?;
    stored.heads = newest_taps(conn).await?;
    // The last day of taps (before the newest applied) is what transfers
    // and double taps look back on.
    for row in sqlx::query("SELECT * FROM card_taps WHERE applied_at >= (SELECT COALESCE(MAX(applied_at), 0) FROM card_taps) - $1 ORDER BY at, terminal, seq")
        .bind(RECENT_MICROS)
        .fetch_all(&mut *conn)
        .await?
    {
        stored.taps.push(tap(&row)?);
    }
    Ok(())
}

/// Each card's newest stored tap, in the chain's order: the whole table
/// read once, a page at a time, for a start that has no image.
async fn newest_taps(conn: &mut AnyConnection) -> Result<Vec<(u64, TapKey)>> {
    let mut newest = NewestTaps::default();
    let mut after = None;
    loop {
        let page = taps_page(conn, after.as_ref(), TAPS_PAGE).await?;
        page.iter().for_each(|t| newest.offer(t));
        match page.last() {
            Some(last) if page.len() as i64 == TAPS_PAGE => after = Some(TapKey::of(last)),
            _ => return Ok(newest.into_heads()),
        }
    }
}

/// Taps read at a time when the whole table is folded.
const TAPS_PAGE: i64 = 50_000;

/// Up to `limit` stored taps after the tap `after` (from the first when
/// `None`), in the order of their keys (terminal, number): a page of the
/// whole table, for a check that folds it in bounded memory.
pub async fn taps_page(
    conn: &mut AnyConnection,
    after: Option<&TapKey>,
    limit: i64,
) -> Result<Vec<TapRecord>> {
    let rows = match after {
        None => {
            sqlx::query("SELECT * FROM card_taps ORDER BY terminal, seq LIMIT $1")
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }
        Some(k) => {
            sqlx::query(
                "SELECT * FROM card_taps WHERE (terminal, seq) > ($1, $2) ORDER BY terminal, seq LIMIT $3",
            )
            .bind(&k.terminal)
            .bind(bits(k.seq))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(tap).collect()
}

/// Passes, rentals, the deny list's log, settlements, entitlements and
/// medical settlements.
pub(super) async fn load_the_rest(conn: &mut AnyConnection, stored: &mut Stored) -> Result<()> {
    for row in sqlx::query("SELECT * FROM card_passes ORDER BY valid_from")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.passes.push(Pass {
            holder: row.try_get("holder")?,
            product: row.try_get("product")?,
            valid_from: row.try_get("valid_from")?,
            valid_until: row.try_get("valid_until")?,
            transfer: unbits(row.try_get("transfer")?),
            bought_at: row.try_get("bought_at")?,
        });
    }
    for row in sqlx::query("SELECT card, dock, at FROM card_rentals ORDER BY card")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.rentals.push((
            unbits(row.try_get("card")?),
            row.try_get("dock")?,
            row.try_get("at")?,
        ));
    }
    for row in sqlx::query("SELECT version, card, reason FROM card_deny ORDER BY version")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.deny_log.push(DenyChange {
            version: unbits(row.try_get("version")?),
            card: row.try_get("card")?,
            reason: row.try_get("reason")?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_settlements ORDER BY day, party")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.settlements.push(Settlement {
            day: row.try_get("day")?,
            party: unbits(row.try_get("party")?),
            takings: row.try_get("takings")?,
            count: unbits(row.try_get("count")?),
            refunds: row.try_get("refunds")?,
            passes: row.try_get("passes")?,
            net: row.try_get("net")?,
            transfer: unbits(row.try_get("transfer")?),
            settled_at: row.try_get("settled_at")?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_entitlements ORDER BY holder, kind")
        .fetch_all(&mut *conn)
        .await?
    {
        let kind: String = row.try_get("kind")?;
        stored.entitlements.push(Entitlement {
            holder: row.try_get("holder")?,
            kind: Kind::parse(&kind).ok_or_else(|| corrupt(&format!("entitlement {kind:?}")))?,
            granted_at: row.try_get("granted_at")?,
            valid_until: row.try_get("valid_until")?,
            revoked: row.try_get("revoked")?,
            changed_at: row.try_get("changed_at")?,
        });
    }
    for row in sqlx::query("SELECT * FROM card_medical WHERE request_id <> '' ORDER BY id")
        .fetch_all(&mut *conn)
        .await?
    {
        stored.medical.push(medical_row(&row)?);
    }
    stored.medical_seq = unbits(
        sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS n FROM card_medical")
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?,
    );
    Ok(())
}
