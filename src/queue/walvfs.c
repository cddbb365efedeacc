/*
 * walvfs - SQLite's default (unix) VFS, but for how it opens the -wal;
 * see spool_impl.h.
 *
 * Why: SQLite opens the -wal with SQLITE_OPEN_CREATE on every
 * connection, and the unix VFS fsyncs the directory at the first sync
 * of a journal or WAL opened that way, so that the name of a file it
 * may just have created survives a power loss. Our -wal outlives the
 * connections (no checkpoint on close, spool.c), so each msmtp paid a
 * directory fsync, a third of an enqueue's fsyncs, for a name made
 * durable long before. Here the -wal is first opened without
 * SQLITE_OPEN_CREATE; only when there is none (a new spool, or a tool
 * such as sqlite3 removed it as the last connection closed) is it
 * opened the usual way: created, and the directory fsynced at its
 * first sync, before the first commit into it returns.
 *
 * Durability: the directory's entry for the -wal is durable once its
 * creator's first sync returned. The one case this relies on the file
 * system for is a creator that died between the creation and that
 * sync (it committed nothing): a later commit's fdatasync() of the file
 * then also makes its name durable on Linux's file systems: ext4 with
 * a journal and XFS commit their journal in order, ext4 without one
 * syncs the parent of a file still marked new (ext4_sync_parent()),
 * btrfs logs the new name with the file.
 *
 * Everything else (the database, the -shm, the -journal of the first
 * open, locking, the system calls) is the default VFS's, untouched.
 */
#include "queue/spool_impl.h"

#include <pthread.h>

#define WALVFS_NAME	"msmtp-unix"

/* The copy of the default VFS, registered once per process (SQLite's
 * registry of VFSes is process-wide), never changed after. */
static sqlite3_vfs walvfs;
static pthread_once_t walvfs_once = PTHREAD_ONCE_INIT;

/* walvfs_open - xOpen: an existing -wal as it is, else the default's. */
static int walvfs_open(sqlite3_vfs *vfs, sqlite3_filename name,
    sqlite3_file *file, int flags, int *out_flags)
{
	sqlite3_vfs *base = vfs->pAppData;

	if ((flags & SQLITE_OPEN_WAL) && (flags & SQLITE_OPEN_CREATE) &&
	    base->xOpen(base, name, file, flags & ~SQLITE_OPEN_CREATE,
	    out_flags) == SQLITE_OK)
		return SQLITE_OK;
	return base->xOpen(base, name, file, flags, out_flags);
}

static void walvfs_register(void)
{
	sqlite3_vfs *base = sqlite3_vfs_find(NULL);

	if (base == NULL)
		return;
	walvfs = *base;
	walvfs.pNext = NULL;
	walvfs.zName = WALVFS_NAME;
	walvfs.pAppData = base;
	walvfs.xOpen = walvfs_open;
	if (sqlite3_vfs_register(&walvfs, 0) != SQLITE_OK)
		walvfs.xOpen = NULL;
}

const char *spool_vfs(void)
{
	pthread_once(&walvfs_once, walvfs_register);
	/* Without it (it could not be registered), the default VFS. */
	return walvfs.xOpen == walvfs_open ? WALVFS_NAME : NULL;
}
