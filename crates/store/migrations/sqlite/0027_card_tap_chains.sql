-- A card's taps were found by an index on (card, at). Taps come from every
-- card at once, so each one put its entry on a page of that index of its
-- own, and every batch wrote thousands of such pages to the log: half the
-- card engine's writing on a peak day. Each tap now names the card's tap
-- stored before it (its terminal and sequence number, found by the
-- primary key), and the engine keeps each card's newest, so a card's taps
-- are read back along that chain and the index goes.
--
-- The chain's order is the batch that applied a tap, then the terminal's
-- moment, terminal and number: the existing rows are linked in it here. A
-- tap of a number no card had when it was applied is not chained.
ALTER TABLE card_taps ADD COLUMN prev_terminal TEXT;
ALTER TABLE card_taps ADD COLUMN prev_seq BIGINT;
UPDATE card_taps SET prev_terminal = p.pt, prev_seq = p.ps
FROM (SELECT terminal, seq, LAG(terminal) OVER w AS pt, LAG(seq) OVER w AS ps
      FROM card_taps
      WHERE outcome <> 'unknown_card'
      WINDOW w AS (PARTITION BY card ORDER BY applied_at, at, terminal, seq)) AS p
WHERE card_taps.terminal = p.terminal AND card_taps.seq = p.seq AND p.pt IS NOT NULL;
DROP INDEX card_taps_card;
-- The books' images now carry each card's newest tap: the images before
-- do not, and a start replays the history once and takes a new one.
DELETE FROM card_snapshots;
