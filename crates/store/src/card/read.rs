//! What pages and reports read beside the engine: taps and medical
//! settlements.

use super::*;

/// How many taps are stored, and up to ten that do not tie out to the
/// ledger: a charged tap whose transfer is missing, or moved another
/// amount, or paid another party's takings.
pub async fn taps_against_ledger(conn: &mut AnyConnection) -> Result<(i64, Vec<String>)> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM card_taps")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    let wrong = sqlx::query(
        "SELECT t.terminal, t.seq, t.charged, t.party, x.moved, x.credit FROM card_taps t LEFT JOIN card_transfers x ON x.id = t.transfer \
         WHERE t.charged > 0 AND (x.id IS NULL OR x.moved <> t.charged OR x.credit <> $1 + t.party) ORDER BY t.terminal, t.seq LIMIT 10",
    )
    .bind(1i64 << 62)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| -> Result<String> {
        let terminal: String = r.try_get("terminal")?;
        let seq: i64 = r.try_get("seq")?;
        let charged: i64 = r.try_get("charged")?;
        let moved: Option<i64> = r.try_get("moved")?;
        Ok(match moved {
            None => format!("tap {terminal} #{seq} charged {charged} fen but its transfer is not in the ledger"),
            Some(m) => format!("tap {terminal} #{seq} charged {charged} fen, its transfer moved {m} fen or paid another party"),
        })
    })
    .collect::<Result<_>>()?;
    Ok((n, wrong))
}

/// A card's taps, newest first, at most `limit`: along the chain back from
/// its newest stored tap (`newest`, which the books keep), one primary-key
/// read a tap.
pub async fn taps_of(
    conn: &mut AnyConnection,
    newest: Option<&TapKey>,
    limit: usize,
) -> Result<Vec<TapRecord>> {
    let mut taps = Vec::new();
    let mut next = newest.map(|k| (k.terminal.clone(), bits(k.seq)));
    while let Some((terminal, seq)) = next.take() {
        if taps.len() >= limit {
            break;
        }
        let Some(row) = sqlx::query("SELECT * FROM card_taps WHERE terminal = $1 AND seq = $2")
            .bind(terminal)
            .bind(seq)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Err(corrupt("a card's chain of taps names a tap not stored"));
        };
        let prev: (Option<String>, Option<i64>) =
            (row.try_get("prev_terminal")?, row.try_get("prev_seq")?);
        taps.push(tap(&row)?);
        next = prev.0.zip(prev.1);
    }
    Ok(taps)
}

/// A holder's medical settlements, newest first.
pub async fn medical_of(
    conn: &mut AnyConnection,
    holder: &str,
    limit: i64,
) -> Result<Vec<MedicalRecord>> {
    sqlx::query("SELECT * FROM card_medical WHERE holder = $1 ORDER BY at DESC, id DESC LIMIT $2")
        .bind(holder)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(medical_row)
        .collect()
}

/// Charged taps applied in `[from, to)`, per operator or merchant: how
/// many, and what they charged in fen.
pub async fn tapped_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<(u64, u64, i64)>> {
    sqlx::query("SELECT party, COUNT(*) AS n, CAST(SUM(charged) AS BIGINT) AS charged FROM card_taps WHERE applied_at >= $1 AND applied_at < $2 AND charged > 0 GROUP BY party ORDER BY party")
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                unbits(r.try_get("party")?),
                unbits(r.try_get("n")?),
                r.try_get("charged")?,
            ))
        })
        .collect()
}

/// What cards paid at each hospital's or pharmacy's desks for settlements
/// recorded in `[from, to)` (from personal medical accounts and cards'
/// accounts, not the fund's part or cash), per party, fen.
pub async fn medical_paid_between(
    conn: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<(u64, i64)>> {
    sqlx::query("SELECT party, CAST(SUM(from_medical_account + from_account) AS BIGINT) AS paid FROM card_medical WHERE at >= $1 AND at < $2 GROUP BY party ORDER BY party")
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((unbits(r.try_get("party")?), r.try_get("paid")?)))
        .collect()
}
