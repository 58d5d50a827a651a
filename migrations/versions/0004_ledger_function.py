"""ledger: create_transfers as one PostgreSQL function; ISO 4217 exponents as another

The batch logic that ran in Python (idempotency, flags, two-phase, linked chains) runs in
`ledger_create_transfers(batch jsonb, at timestamptz) RETURNS text`: a batch of any size is
one round trip, and the row locks are held only for the time PostgreSQL needs, never across
a network hop to a client. The function is defined here, not in a file the migration reads,
so that this revision always creates the same function; a later change is a new revision.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from iso4217 import Currency

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MAX_EXPONENT = 4

FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_create_transfers(batch jsonb, at timestamptz)
RETURNS text LANGUAGE plpgsql AS $fn$
-- Applies a batch of transfers in order; returns a JSON array with one result per transfer
-- (index, transfer_id, outcome created|exists|failed, code, message, transfer view).
-- Refusals are results; only a concurrent creation of the same new id raises (CW001).
DECLARE
    n int;
    -- the batch, by position (1-based)
    s_id text[]; s_kind text[]; s_d text[]; s_c text[]; s_amt text[]; s_cur text[];
    s_code text[]; s_ref text[]; s_pid text[]; s_to int[]; s_link bool[];
    s_di int[]; s_ci int[];   -- account positions of the named debit/credit accounts
    s_sk int[];              -- stored transfer with the spec's own id
    s_lead int[];            -- first spec of the batch with the same id
    s_psk int[];             -- stored transfer named by pending_id
    s_plead int[];           -- first spec of the batch whose id is pending_id
    -- accounts, locked in id order
    a_id text[]; a_cur text[]; a_neg bool[]; a_cmned bool[]; a_closed bool[]; a_frozen bool[];
    a_dp numeric[]; a_cp numeric[]; a_pd numeric[]; a_pc numeric[]; a_t bool[];
    -- known transfers: 1..ns read from the table, ns + i created by spec i
    ns int;
    k_id text[]; k_kind text[]; k_d text[]; k_c text[]; k_di int[]; k_ci int[];
    k_amt numeric[]; k_cur text[]; k_code text[]; k_ref text[]; k_pid text[]; k_to int[];
    k_exp timestamptz[]; k_state text[]; k_created timestamptz[]; k_seq bigint[];
    k_changed bool[];
    g int[];                 -- g[lead] = known position of the transfer created for that id
    -- results
    r_out text[]; r_code text[]; r_msg text[]; r_k int[];
    -- undo log of a linked chain
    u_n int := 0; u_kind char[]; u_idx int[]; u_n1 numeric[]; u_n2 numeric[];
    u_n3 numeric[]; u_n4 numeric[]; u_b1 bool[]; u_txt text[]; u_int int[];
    -- working values
    i int; j int; m int; p int; kx int; ek int; pk int; di int; ci int;
    small bool; multi bool; chain_open bool; failed_at int; mark int;
    err_code text; err_msg text; differs text[];
    amt numeric; ndp numeric; ncp numeric; npd numeric; npc numeric;
    posting bool; expired bool; field text;
    ids text[]; aids text[];
    ins_id text[]; ins_seq bigint[]; n_new int; n_ins int; seq_v bigint;
    result text; parts text[]; item jsonb;
BEGIN
    n := jsonb_array_length(batch);
    IF n = 0 THEN
        RETURN '[]';
    END IF;
    -- (the cut-off is a setting only so that tests can run both paths on the same batches)
    small := n <= COALESCE(current_setting('clearway.ledger_small_batch', true), '16')::int;
    IF small THEN
        FOR m IN 1..n LOOP
            item := batch -> (m - 1);
            s_id[m] := item ->> 'id'; s_kind[m] := item ->> 'kind';
            s_d[m] := item ->> 'debit'; s_c[m] := item ->> 'credit';
            s_amt[m] := item ->> 'amount'; s_cur[m] := item ->> 'currency';
            s_code[m] := item ->> 'code'; s_ref[m] := item ->> 'reference';
            s_pid[m] := item ->> 'pending_id'; s_to[m] := (item ->> 'timeout')::int;
            s_link[m] := COALESCE((item ->> 'linked')::bool, false);
        END LOOP;
        ids := array_remove(s_id || s_pid, NULL);
    ELSE
        SELECT array_agg(v->>'id' ORDER BY o), array_agg(v->>'kind' ORDER BY o),
            array_agg(v->>'debit' ORDER BY o), array_agg(v->>'credit' ORDER BY o),
            array_agg(v->>'amount' ORDER BY o), array_agg(v->>'currency' ORDER BY o),
            array_agg(v->>'code' ORDER BY o), array_agg(v->>'reference' ORDER BY o),
            array_agg(v->>'pending_id' ORDER BY o), array_agg((v->>'timeout')::int ORDER BY o),
            array_agg(COALESCE((v->>'linked')::bool, false) ORDER BY o)
        INTO s_id, s_kind, s_d, s_c, s_amt, s_cur, s_code, s_ref, s_pid, s_to, s_link
        FROM jsonb_array_elements(batch) WITH ORDINALITY AS x(v, o);
        ids := ARRAY(SELECT DISTINCT x FROM unnest(s_id || s_pid) x WHERE x IS NOT NULL);
    END IF;

    -- 1. The transfers the batch names, locked in id order: its own ids (idempotency; a
    --    replayed id's row is locked too, harmlessly) and the holds it resolves.
    SELECT count(*)::int, array_agg(t.transfer_id), array_agg(t.kind),
        array_agg(t.debit_account_id), array_agg(t.credit_account_id),
        array_agg(t.amount), array_agg(t.currency), array_agg(t.code),
        array_agg(t.reference), array_agg(t.pending_id), array_agg(t.timeout_seconds),
        array_agg(t.expires_at), array_agg(t.state), array_agg(t.created_at),
        array_agg(t.seq)
    INTO ns, k_id, k_kind, k_d, k_c, k_amt, k_cur, k_code, k_ref, k_pid, k_to, k_exp,
        k_state, k_created, k_seq
    FROM (SELECT * FROM ledger_transfers WHERE transfer_id = ANY(ids)
          ORDER BY transfer_id FOR UPDATE) t;

    -- 2. Every account involved, locked in id order (two batches on the same accounts
    --    queue instead of deadlocking). Positions need no order: the aggregates of one
    --    pass see the rows in the same order.
    aids := s_d || s_c || k_d || k_c;  -- `= ANY` needs neither order nor uniqueness
    SELECT array_agg(a.account_id), array_agg(a.currency), array_agg(a.allow_negative),
        array_agg(a.credits_must_not_exceed_debits), array_agg(a.closed),
        array_agg(COALESCE(a.frozen, false)), array_agg(a.debits_posted),
        array_agg(a.credits_posted), array_agg(a.pending_debits), array_agg(a.pending_credits),
        array_agg(false)
    INTO a_id, a_cur, a_neg, a_cmned, a_closed, a_frozen, a_dp, a_cp, a_pd, a_pc, a_t
    FROM (SELECT a.*, c.status = 'frozen' AS frozen
          FROM accounts a LEFT JOIN customers c ON c.customer_id = a.customer_id
          WHERE a.account_id = ANY(aids) ORDER BY a.account_id FOR UPDATE OF a) a;

    -- 3. Positions, so the loop below never searches: accounts of each spec and of each
    --    stored transfer, the stored transfer or first batch member behind every id.
    --    Small batches (the single-transfer path) look them up directly; large ones join.
    IF small THEN
        FOR m IN 1..n LOOP
            s_di[m] := array_position(a_id, s_d[m]);
            s_ci[m] := array_position(a_id, s_c[m]);
            s_sk[m] := array_position(k_id, s_id[m]);
            s_lead[m] := array_position(s_id, s_id[m]);
            s_psk[m] := array_position(k_id, s_pid[m]);
            s_plead[m] := array_position(s_id, s_pid[m]);
        END LOOP;
        FOR m IN 1..COALESCE(ns, 0) LOOP
            k_di[m] := array_position(a_id, k_d[m]);
            k_ci[m] := array_position(a_id, k_c[m]);
        END LOOP;
    ELSE
        SELECT array_agg(ad.di ORDER BY s.o), array_agg(ac.ci ORDER BY s.o),
            array_agg(st.k ORDER BY s.o), array_agg(ld.lead ORDER BY s.o),
            array_agg(pst.k ORDER BY s.o), array_agg(pld.lead ORDER BY s.o)
        INTO s_di, s_ci, s_sk, s_lead, s_psk, s_plead
        FROM unnest(s_id, s_d, s_c, s_pid) WITH ORDINALITY AS s(id, d, c, pid, o)
        LEFT JOIN unnest(a_id) WITH ORDINALITY AS ad(id, di) ON ad.id = s.d
        LEFT JOIN unnest(a_id) WITH ORDINALITY AS ac(id, ci) ON ac.id = s.c
        LEFT JOIN unnest(k_id) WITH ORDINALITY AS st(id, k) ON st.id = s.id
        LEFT JOIN (SELECT x.id, min(x.o)::int AS lead
                   FROM unnest(s_id) WITH ORDINALITY AS x(id, o) GROUP BY x.id) ld ON ld.id = s.id
        LEFT JOIN unnest(k_id) WITH ORDINALITY AS pst(id, k) ON pst.id = s.pid
        LEFT JOIN (SELECT x.id, min(x.o)::int AS lead
                   FROM unnest(s_id) WITH ORDINALITY AS x(id, o) GROUP BY x.id) pld
            ON pld.id = s.pid;
        IF ns > 0 THEN
            SELECT array_agg(ad.di ORDER BY t.o), array_agg(ac.ci ORDER BY t.o)
            INTO k_di, k_ci
            FROM unnest(k_d, k_c) WITH ORDINALITY AS t(d, c, o)
            LEFT JOIN unnest(a_id) WITH ORDINALITY AS ad(id, di) ON ad.id = t.d
            LEFT JOIN unnest(a_id) WITH ORDINALITY AS ac(id, ci) ON ac.id = t.c;
        END IF;
    END IF;
    ns := COALESCE(ns, 0);
    FOR m IN 1..ns LOOP  -- stored amounts (NUMERIC(20, 4)) at their currency's exponent
        k_amt[m] := round(k_amt[m], GREATEST(COALESCE(ledger_currency_exponent(k_cur[m]), 4), 0));
    END LOOP;

    -- 4. Apply, chain by chain, to the locked balances.
    i := 1;
    WHILE i <= n LOOP
        j := i;
        WHILE j < n AND s_link[j] LOOP
            j := j + 1;
        END LOOP;
        chain_open := s_link[j];
        multi := j > i;
        mark := u_n;
        failed_at := NULL;
        IF chain_open THEN
            failed_at := j;
            err_code := 'linked_event_chain_open';
            err_msg := 'the batch ends inside a linked chain: its last transfer is linked';
        ELSE
            FOR m IN i..j LOOP
                err_code := NULL;
                <<one>>
                BEGIN
                    -- the same id again: the original result, or a conflict
                    ek := COALESCE(s_sk[m], g[s_lead[m]]);
                    IF ek IS NOT NULL THEN
                        differs := '{}';
                        IF s_kind[m] <> k_kind[ek] THEN differs := differs || 'kind'::text; END IF;
                        IF s_d[m] IS NOT NULL AND s_d[m] <> k_d[ek] THEN
                            differs := differs || 'debit_account_id'::text;
                        END IF;
                        IF s_c[m] IS NOT NULL AND s_c[m] <> k_c[ek] THEN
                            differs := differs || 'credit_account_id'::text;
                        END IF;
                        IF s_cur[m] IS NOT NULL AND s_cur[m] <> k_cur[ek] THEN
                            differs := differs || 'currency'::text;
                        END IF;
                        IF s_amt[m] IS NOT NULL AND s_amt[m]::numeric <> k_amt[ek] THEN
                            differs := differs || 'amount'::text;
                        END IF;
                        IF s_code[m] IS DISTINCT FROM k_code[ek] THEN
                            differs := differs || 'code'::text;
                        END IF;
                        IF s_ref[m] IS DISTINCT FROM k_ref[ek] THEN
                            differs := differs || 'reference'::text;
                        END IF;
                        IF s_pid[m] IS DISTINCT FROM k_pid[ek] THEN
                            differs := differs || 'pending_id'::text;
                        END IF;
                        IF s_to[m] IS DISTINCT FROM k_to[ek] THEN
                            differs := differs || 'timeout_seconds'::text;
                        END IF;
                        IF cardinality(differs) > 0 THEN
                            err_code := 'exists_with_different_fields';
                            err_msg := format('transfer %s exists with different %s', s_id[m],
                                              array_to_string(differs, ', '));
                            EXIT one;
                        END IF;
                        r_out[m] := 'exists';
                        r_k[m] := ek;
                        EXIT one;
                    END IF;

                    kx := ns + m;
                    pk := NULL;
                    IF s_kind[m] IN ('single', 'pending') THEN
                        IF s_pid[m] IS NOT NULL THEN
                            err_code := 'invalid_transfer';
                            err_msg := format('a %s transfer takes no pending_id', s_kind[m]);
                            EXIT one;
                        END IF;
                        IF s_kind[m] = 'single' AND s_to[m] IS NOT NULL THEN
                            err_code := 'invalid_transfer';
                            err_msg := 'timeout_seconds is only for pending transfers';
                            EXIT one;
                        END IF;
                        IF s_to[m] IS NOT NULL AND s_to[m] <= 0 THEN
                            err_code := 'invalid_transfer';
                            err_msg := 'timeout_seconds must be positive';
                            EXIT one;
                        END IF;
                        IF s_amt[m] IS NULL OR s_cur[m] IS NULL THEN
                            err_code := 'invalid_transfer';
                            err_msg := 'amount and currency are required';
                            EXIT one;
                        END IF;
                        err_msg := ledger_amount_problem(s_amt[m], s_cur[m]);
                        IF err_msg IS NOT NULL THEN
                            err_code := 'invalid_amount';
                            EXIT one;
                        END IF;
                        amt := round(s_amt[m]::numeric, ledger_currency_exponent(upper(s_cur[m])));
                        -- each side named and existing (the debit side is checked first)
                        FOR p IN 1..2 LOOP
                            IF (ARRAY[s_d[m], s_c[m]])[p] IS NULL THEN
                                err_code := 'invalid_transfer';
                                err_msg := format('%s_account_id is required',
                                                  (ARRAY['debit', 'credit'])[p]);
                                EXIT one;
                            END IF;
                            IF (ARRAY[s_di[m], s_ci[m]])[p] IS NULL THEN
                                err_code := 'account_not_found';
                                err_msg := format('%s account %L does not exist',
                                                  (ARRAY['debit', 'credit'])[p],
                                                  (ARRAY[s_d[m], s_c[m]])[p]);
                                EXIT one;
                            END IF;
                        END LOOP;
                        di := s_di[m]; ci := s_ci[m];
                        IF di = ci THEN
                            err_code := 'invalid_transfer';
                            err_msg := 'debit and credit account must be different';
                            EXIT one;
                        END IF;
                        FOREACH p IN ARRAY ARRAY[di, ci] LOOP
                            IF a_cur[p] <> s_cur[m] THEN
                                err_code := 'currency_mismatch';
                                err_msg := format('account %s is in %s, the transfer in %s',
                                                  a_id[p], a_cur[p], s_cur[m]);
                                EXIT one;
                            END IF;
                            IF a_closed[p] THEN
                                err_code := 'account_closed';
                                err_msg := format('account %s is closed', a_id[p]);
                                EXIT one;
                            END IF;
                        END LOOP;
                        IF a_frozen[di] THEN
                            err_code := 'account_frozen';
                            err_msg := format('account %s belongs to a frozen customer: it may '
                                              'receive but not send', a_id[di]);
                            EXIT one;
                        END IF;
                        ndp := a_dp[di]; ncp := a_cp[ci]; npd := a_pd[di]; npc := a_pc[ci];
                        IF s_kind[m] = 'pending' THEN
                            npd := npd + amt; npc := npc + amt;
                        ELSE
                            ndp := ndp + amt; ncp := ncp + amt;
                        END IF;
                        k_cur[kx] := s_cur[m]; k_pid[kx] := NULL; k_to[kx] := s_to[m];
                        k_exp[kx] := CASE WHEN s_to[m] IS NULL THEN NULL
                                          ELSE at + make_interval(secs => s_to[m]) END;
                        k_state[kx] := CASE WHEN s_kind[m] = 'pending' THEN 'pending' END;
                    ELSE
                        -- post_pending, void_pending, expire_pending: resolve a hold once
                        IF s_pid[m] IS NULL THEN
                            err_code := 'invalid_transfer';
                            err_msg := format('a %s transfer needs pending_id', s_kind[m]);
                            EXIT one;
                        END IF;
                        IF s_to[m] IS NOT NULL THEN
                            err_code := 'invalid_transfer';
                            err_msg := 'timeout_seconds is only for pending transfers';
                            EXIT one;
                        END IF;
                        pk := COALESCE(s_psk[m], g[s_plead[m]]);
                        IF pk IS NULL OR k_kind[pk] <> 'pending' THEN
                            err_code := 'pending_transfer_not_found';
                            err_msg := format('no pending transfer ''%s'' to resolve', s_pid[m]);
                            EXIT one;
                        END IF;
                        IF k_state[pk] <> 'pending' THEN
                            err_code := 'pending_transfer_already_resolved';
                            err_msg := format('pending transfer %s is already %s', k_id[pk],
                                              k_state[pk]);
                            EXIT one;
                        END IF;
                        expired := k_exp[pk] IS NOT NULL AND k_exp[pk] <= at;
                        IF s_kind[m] = 'expire_pending' AND NOT expired THEN
                            err_code := 'invalid_transfer';
                            err_msg := format('pending transfer %s has not expired', k_id[pk]);
                            EXIT one;
                        END IF;
                        IF s_kind[m] <> 'expire_pending' AND expired THEN
                            err_code := 'pending_transfer_expired';
                            err_msg := format('pending transfer %s has expired', k_id[pk]);
                            EXIT one;
                        END IF;
                        -- fields a resolution may repeat must match the hold's
                        field := CASE WHEN s_d[m] <> k_d[pk] THEN 'debit_account_id'
                                      WHEN s_c[m] <> k_c[pk] THEN 'credit_account_id'
                                      WHEN s_cur[m] <> k_cur[pk] THEN 'currency' END;
                        IF field IS NOT NULL THEN
                            err_code := 'invalid_transfer';
                            err_msg := format('%s %L differs from the pending transfer''s', field,
                                              CASE field WHEN 'debit_account_id' THEN s_d[m]
                                                         WHEN 'credit_account_id' THEN s_c[m]
                                                         ELSE s_cur[m] END);
                            EXIT one;
                        END IF;
                        amt := k_amt[pk];
                        IF s_amt[m] IS NOT NULL THEN
                            err_msg := ledger_amount_problem(s_amt[m], k_cur[pk]);
                            IF err_msg IS NOT NULL THEN
                                err_code := 'invalid_amount';
                                EXIT one;
                            END IF;
                            amt := round(s_amt[m]::numeric,
                                         ledger_currency_exponent(upper(k_cur[pk])));
                            IF amt > k_amt[pk] THEN
                                err_code := 'exceeds_pending_transfer_amount';
                                err_msg := format('amount %s exceeds the pending amount %s', amt,
                                                  k_amt[pk]);
                                EXIT one;
                            END IF;
                            IF s_kind[m] <> 'post_pending' AND amt <> k_amt[pk] THEN
                                err_code := 'invalid_transfer';
                                err_msg := 'a void or expiry releases the whole pending amount';
                                EXIT one;
                            END IF;
                        END IF;
                        di := k_di[pk]; ci := k_ci[pk];
                        posting := s_kind[m] = 'post_pending';
                        IF posting THEN
                            IF a_frozen[di] THEN
                                err_code := 'account_frozen';
                                err_msg := format('account %s belongs to a frozen customer: it '
                                                  'may receive but not send', a_id[di]);
                                EXIT one;
                            END IF;
                            FOREACH p IN ARRAY ARRAY[di, ci] LOOP
                                IF a_closed[p] THEN
                                    err_code := 'account_closed';
                                    err_msg := format('account %s is closed', a_id[p]);
                                    EXIT one;
                                END IF;
                            END LOOP;
                        END IF;
                        npd := a_pd[di] - k_amt[pk]; npc := a_pc[ci] - k_amt[pk];
                        ndp := a_dp[di]; ncp := a_cp[ci];
                        IF posting THEN
                            ndp := ndp + amt; ncp := ncp + amt;
                        END IF;
                        k_cur[kx] := k_cur[pk]; k_pid[kx] := k_id[pk]; k_to[kx] := NULL;
                        k_exp[kx] := NULL; k_state[kx] := NULL;
                    END IF;
                    -- both kinds: the flags on the new balances, then apply (undoably)
                    IF NOT a_neg[di] AND ndp + npd > a_cp[di] THEN
                        err_code := 'exceeds_credits';
                        err_msg := format('insufficient funds: debits of account %s would '
                                          'exceed its credits', a_id[di]);
                        EXIT one;
                    END IF;
                    IF a_cmned[ci] AND ncp + npc > a_dp[ci] THEN
                        err_code := 'exceeds_debits';
                        err_msg := format('credits of account %s would exceed its debits',
                                          a_id[ci]);
                        EXIT one;
                    END IF;
                    IF multi THEN
                        FOREACH p IN ARRAY ARRAY[di, ci] LOOP
                            u_n := u_n + 1;
                            u_kind[u_n] := 'a'; u_idx[u_n] := p;
                            u_n1[u_n] := a_dp[p]; u_n2[u_n] := a_cp[p];
                            u_n3[u_n] := a_pd[p]; u_n4[u_n] := a_pc[p]; u_b1[u_n] := a_t[p];
                        END LOOP;
                        IF pk IS NOT NULL THEN
                            u_n := u_n + 1;
                            u_kind[u_n] := 'k'; u_idx[u_n] := pk;
                            u_txt[u_n] := k_state[pk]; u_b1[u_n] := k_changed[pk];
                        END IF;
                        u_n := u_n + 1;
                        u_kind[u_n] := 'g'; u_idx[u_n] := s_lead[m]; u_int[u_n] := g[s_lead[m]];
                    END IF;
                    a_dp[di] := ndp; a_pd[di] := npd; a_cp[ci] := ncp; a_pc[ci] := npc;
                    a_t[di] := true; a_t[ci] := true;
                    IF pk IS NOT NULL THEN
                        k_state[pk] := CASE s_kind[m] WHEN 'post_pending' THEN 'posted'
                                                      WHEN 'void_pending' THEN 'voided'
                                                      ELSE 'expired' END;
                        IF pk <= ns THEN
                            k_changed[pk] := true;
                        END IF;
                    END IF;
                    k_id[kx] := s_id[m]; k_kind[kx] := s_kind[m];
                    k_d[kx] := a_id[di]; k_c[kx] := a_id[ci]; k_di[kx] := di; k_ci[kx] := ci;
                    k_amt[kx] := amt; k_code[kx] := s_code[m]; k_ref[kx] := s_ref[m];
                    k_created[kx] := at;
                    g[s_lead[m]] := kx;
                    r_out[m] := 'created';
                    r_k[m] := kx;
                END;
                IF err_code IS NOT NULL THEN
                    failed_at := m;
                    EXIT;
                END IF;
            END LOOP;
        END IF;
        IF failed_at IS NOT NULL THEN
            -- the chain fails as a unit: undo what its earlier members did
            WHILE u_n > mark LOOP
                p := u_idx[u_n];
                IF u_kind[u_n] = 'a' THEN
                    a_dp[p] := u_n1[u_n]; a_cp[p] := u_n2[u_n];
                    a_pd[p] := u_n3[u_n]; a_pc[p] := u_n4[u_n]; a_t[p] := u_b1[u_n];
                ELSIF u_kind[u_n] = 'k' THEN
                    k_state[p] := u_txt[u_n]; k_changed[p] := u_b1[u_n];
                ELSE
                    g[p] := u_int[u_n];
                END IF;
                u_n := u_n - 1;
            END LOOP;
            FOR m IN i..j LOOP
                r_out[m] := 'failed';
                r_k[m] := NULL;
                IF m = failed_at OR chain_open THEN
                    r_code[m] := err_code;
                    r_msg[m] := err_msg;
                ELSE
                    r_code[m] := 'linked_event_failed';
                    r_msg[m] := format('linked transfer %s failed: %s', s_id[failed_at], err_code);
                END IF;
            END LOOP;
        END IF;
        i := j + 1;
    END LOOP;

    -- 5. Write: the new transfers, resolved holds and balances (absolute values computed
    --    under the locks; the tables' check constraints re-check every flag).
    IF small THEN
        -- row by row: statements with cached plans, as cheap as hand-written SQL
        FOR m IN 1..n LOOP
            CONTINUE WHEN r_out[m] <> 'created';
            kx := ns + m;
            INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,
                credit_account_id, amount, currency, code, reference, pending_id,
                timeout_seconds, expires_at, state, created_at)
            VALUES (k_id[kx], k_kind[kx], k_d[kx], k_c[kx], k_amt[kx], k_cur[kx], k_code[kx],
                k_ref[kx], k_pid[kx], k_to[kx], k_exp[kx], k_state[kx], k_created[kx])
            ON CONFLICT (transfer_id) DO NOTHING
            RETURNING seq INTO seq_v;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'a concurrent batch created some of these transfer ids first; '
                    'retry' USING ERRCODE = 'CW001';
            END IF;
            k_seq[kx] := seq_v;
        END LOOP;
        FOR m IN 1..ns LOOP
            CONTINUE WHEN NOT COALESCE(k_changed[m], false);
            UPDATE ledger_transfers SET state = k_state[m]
            WHERE transfer_id = k_id[m] AND state = 'pending';
        END LOOP;
        FOR p IN 1..COALESCE(array_length(a_id, 1), 0) LOOP
            CONTINUE WHEN NOT a_t[p];
            UPDATE accounts SET debits_posted = a_dp[p], credits_posted = a_cp[p],
                posted_balance = a_cp[p] - a_dp[p], pending_debits = a_pd[p],
                pending_credits = a_pc[p]
            WHERE account_id = a_id[p];
        END LOOP;
    ELSE
        n_new := (SELECT count(*) FROM unnest(r_out) x WHERE x = 'created');
        IF n_new > 0 THEN
            WITH ins AS (
                INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,
                    credit_account_id, amount, currency, code, reference, pending_id,
                    timeout_seconds, expires_at, state, created_at)
                SELECT x.id, x.kind, x.d, x.c, x.amt, x.cur, x.code, x.ref, x.pid, x.tos, x.exp,
                    x.state, x.created
                FROM unnest(r_out, k_id[ns + 1:ns + n], k_kind[ns + 1:ns + n], k_d[ns + 1:ns + n],
                            k_c[ns + 1:ns + n], k_amt[ns + 1:ns + n], k_cur[ns + 1:ns + n],
                            k_code[ns + 1:ns + n], k_ref[ns + 1:ns + n], k_pid[ns + 1:ns + n],
                            k_to[ns + 1:ns + n], k_exp[ns + 1:ns + n], k_state[ns + 1:ns + n],
                            k_created[ns + 1:ns + n])
                    AS x(out, id, kind, d, c, amt, cur, code, ref, pid, tos, exp, state, created)
                WHERE x.out = 'created'
                ON CONFLICT (transfer_id) DO NOTHING
                RETURNING transfer_id, seq
            )
            SELECT count(*)::int, array_agg(ins.transfer_id), array_agg(ins.seq)
            INTO n_ins, ins_id, ins_seq FROM ins;
            IF n_ins <> n_new THEN
                RAISE EXCEPTION 'a concurrent batch created some of these transfer ids first; retry'
                    USING ERRCODE = 'CW001';
            END IF;
            IF ns > 0 AND true = ANY(k_changed[1:ns]) THEN
                UPDATE ledger_transfers t SET state = v.state
                FROM unnest(k_id[1:ns], k_state[1:ns], k_changed[1:ns]) AS v(id, state, changed)
                WHERE v.changed AND t.transfer_id = v.id AND t.state = 'pending';
            END IF;
            UPDATE accounts a SET debits_posted = v.dp, credits_posted = v.cp,
                posted_balance = v.cp - v.dp, pending_debits = v.pd, pending_credits = v.pc
            FROM unnest(a_id, a_dp, a_cp, a_pd, a_pc, a_t) AS v(id, dp, cp, pd, pc, t)
            WHERE v.t AND a.account_id = v.id;
        END IF;
    END IF;

    -- 6. One result per transfer, in order (small batches as expressions, no executor).
    IF small THEN
        FOR m IN 1..n LOOP
            kx := r_k[m];
            parts[m] := json_build_object(
                'index', m - 1, 'transfer_id', s_id[m], 'outcome', r_out[m],
                'code', r_code[m], 'message', r_msg[m],
                'transfer', CASE WHEN kx IS NULL THEN NULL ELSE json_build_object(
                    'transfer_id', k_id[kx], 'seq', k_seq[kx], 'kind', k_kind[kx],
                    'debit_account_id', k_d[kx], 'credit_account_id', k_c[kx],
                    'amount', k_amt[kx]::text, 'currency', k_cur[kx], 'code', k_code[kx],
                    'reference', k_ref[kx], 'pending_id', k_pid[kx],
                    'timeout_seconds', k_to[kx], 'expires_at', k_exp[kx],
                    'state', k_state[kx], 'created_at', k_created[kx]) END)::text;
        END LOOP;
        RETURN '[' || array_to_string(parts, ',') || ']';
    END IF;
        SELECT json_agg(json_build_object(
            'index', s.o - 1, 'transfer_id', s.id, 'outcome', r_out[s.o],
            'code', r_code[s.o], 'message', r_msg[s.o],
            'transfer', CASE WHEN r_k[s.o] IS NULL THEN NULL ELSE json_build_object(
                'transfer_id', k_id[r_k[s.o]], 'seq', COALESCE(k_seq[r_k[s.o]], ins.seq),
                'kind', k_kind[r_k[s.o]], 'debit_account_id', k_d[r_k[s.o]],
                'credit_account_id', k_c[r_k[s.o]], 'amount', k_amt[r_k[s.o]]::text,
                'currency', k_cur[r_k[s.o]], 'code', k_code[r_k[s.o]],
                'reference', k_ref[r_k[s.o]], 'pending_id', k_pid[r_k[s.o]],
                'timeout_seconds', k_to[r_k[s.o]], 'expires_at', k_exp[r_k[s.o]],
                'state', k_state[r_k[s.o]], 'created_at', k_created[r_k[s.o]]) END)
            ORDER BY s.o)::text
        INTO result
        FROM unnest(s_id) WITH ORDINALITY AS s(id, o)
        LEFT JOIN unnest(ins_id, ins_seq) AS ins(id, seq) ON ins.id = s.id;
    RETURN result;
END
$fn$;
"""


def exponent_function() -> str:
    """ISO 4217 minor units as an IMMUTABLE SQL function, inlined into the PL/pgSQL
    expressions that call it (no table read per transfer). NULL: not an ISO 4217 code;
    -1: a code without a bookable minor unit (gold, SDR, testing codes)."""
    cases = "\n".join(
        f"        WHEN '{c.code}' THEN "
        f"{c.exponent if c.exponent is not None and c.exponent <= MAX_EXPONENT else -1}"
        for c in sorted(Currency, key=lambda c: c.code)
        if c.code.isalpha() and c.code.isupper() and len(c.code) == 3
    )
    return (
        "CREATE OR REPLACE FUNCTION ledger_currency_exponent(code text) RETURNS int\n"
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$\n"
        f"    SELECT CASE code\n{cases}\n    END\n$$;"
    )


AMOUNT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_amount_problem(amount text, currency text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $fn$
-- Why `amount` cannot be booked in `currency` (never rounded), or NULL when it can.
DECLARE
    places int := ledger_currency_exponent(upper(currency));
    value numeric;
BEGIN
    IF places IS NULL THEN
        RETURN format('''%s'' is not an ISO 4217 currency code', currency);
    END IF;
    IF places < 0 THEN
        RETURN format('%s has no minor unit in ISO 4217 and cannot be booked', upper(currency));
    END IF;
    value := amount::numeric;
    IF value = 'NaN'::numeric OR value <= 0 THEN
        RETURN format('amount must be greater than zero, got %s', amount);
    END IF;
    IF scale(trim_scale(value)) > places THEN
        RETURN format('amount %s has more decimals than %s allows (%s)', amount, currency, places);
    END IF;
    RETURN NULL;
END
$fn$;
"""


def upgrade() -> None:
    op.execute(exponent_function())
    op.execute(AMOUNT_FUNCTION)
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS ledger_create_transfers(jsonb, timestamptz)")
    op.execute("DROP FUNCTION IF EXISTS ledger_amount_problem(text, text)")
    op.execute("DROP FUNCTION IF EXISTS ledger_currency_exponent(text)")
