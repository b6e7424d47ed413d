-- What a resident is shown before confirming a TV's code: the device that
-- asked for it (its browser's own description, cut short) and the network
-- it asked from (an address with its last part hidden), so that a code
-- read out by a stranger, for a TV that is not theirs, can be told apart.
ALTER TABLE tv_pairings ADD COLUMN device TEXT;
ALTER TABLE tv_pairings ADD COLUMN shown_from TEXT;
