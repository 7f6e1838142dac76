-- One exchange extract of a kind runs at a time (a second start, a double
-- click on the jobs page, is refused): two at once could carry the same
-- unsent judgements twice. A job left running by a dead server is marked
-- interrupted when the server starts again. Keep in step with the other
-- backend's file.
CREATE UNIQUE INDEX job_one_exchange_export ON job (insurer_number, kind)
    WHERE status = 'running' AND kind IN ('federation_export', 'intermediate_export');
