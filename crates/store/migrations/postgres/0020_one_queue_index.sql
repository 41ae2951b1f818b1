-- One queue index instead of two. Every rescored lead moved an entry in both
-- leads_queue_owner and leads_queue, and together they were 44% of the pages an event
-- group wrote. A salesperson's queue walks leads_queue_owner as before; the workspace's
-- queue now merges one walk of it per owner (ondo_store::scoring::queue), which costs the
-- number of owners times the limit, not the workspace.
DROP INDEX leads_queue;
