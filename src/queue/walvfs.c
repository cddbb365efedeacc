/*
 * walvfs - SQLite's default (unix) VFS, but for how it opens and syncs
 * the -wal; see spool_impl.h.
 *
 * Opening. SQLite opens the -wal with SQLITE_OPEN_CREATE on every
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
 * Syncing. Before the first frame of a new WAL, SQLite fsyncs the WAL
 * holding its new header alone. That sync is for a WAL restarted in
 * place, whose old frames still lie behind the new header: without it,
 * a power loss that kept some of the new writes and not others could
 * leave a WAL that recovery misreads (SQLite's ticket ff5be73dee). A
 * WAL emptied by a checkpoint that truncated it (every front end's,
 * spool.c) has nothing behind its header; any frame on the disk then is
 * one of this transaction's, and its commit's own fsync, which covers
 * the header as well, comes before anything relies on it. So a sync of
 * a -wal that is exactly one header long is skipped: one fsync less for
 * every msmtp that enqueues into an emptied WAL. Every other sync, a
 * restarted WAL's header included, is the default VFS's.
 *
 * Durability: the directory's entry for the -wal is durable once its
 * creator's first sync returned (a skipped one does not count: the
 * default VFS's flag for it stays set until a real sync). The one case
 * this relies on the file system for is a creator that died between the
 * creation and that sync (it committed nothing): a later commit's
 * fdatasync() of the file then also makes its name durable on Linux's
 * file systems: ext4 with a journal and XFS commit their journal in
 * order, ext4 without one syncs the parent of a file still marked new
 * (ext4_sync_parent()), btrfs logs the new name with the file.
 *
 * Everything else (the database, the -shm, the -journal of the first
 * open, locking, the system calls) is the default VFS's, untouched.
 */
#include "queue/spool_impl.h"

#include <pthread.h>
#include <stddef.h>

#define WALVFS_NAME	"msmtp-unix"
/* The size of a WAL header (SQLite's file format, "WAL File Format"). */
#define WAL_HEADER_BYTES	32

/* A -wal: the default VFS's file, which follows this one in the
 * storage SQLite allocates (szOsFile), behind methods of ours. */
struct walfile {
	sqlite3_file	 base;
	sqlite3_file	*real;
};

#define WALFILE_REAL_OFFSET \
	((sizeof(struct walfile) + 7) & ~(size_t)7)

/* The copy of the default VFS, registered once per process (SQLite's
 * registry of VFSes is process-wide), never changed after. */
static sqlite3_vfs walvfs;
static pthread_once_t walvfs_once = PTHREAD_ONCE_INIT;

static sqlite3_file *real_of(sqlite3_file *file)
{
	return ((struct walfile *)file)->real;
}

static int walfile_close(sqlite3_file *file)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xClose(real);
}

static int walfile_read(sqlite3_file *file, void *buf, int n,
    sqlite3_int64 off)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xRead(real, buf, n, off);
}

static int walfile_write(sqlite3_file *file, const void *buf, int n,
    sqlite3_int64 off)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xWrite(real, buf, n, off);
}

static int walfile_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xTruncate(real, size);
}

/* walfile_sync - xSync: none for a WAL of a header alone (see the top
 * of this file). */
static int walfile_sync(sqlite3_file *file, int flags)
{
	sqlite3_file *real = real_of(file);
	sqlite3_int64 size = -1;

	if (real->pMethods->xFileSize(real, &size) == SQLITE_OK &&
	    size == WAL_HEADER_BYTES)
		return SQLITE_OK;
	return real->pMethods->xSync(real, flags);
}

static int walfile_size(sqlite3_file *file, sqlite3_int64 *size)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xFileSize(real, size);
}

static int walfile_lock(sqlite3_file *file, int level)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xLock(real, level);
}

static int walfile_unlock(sqlite3_file *file, int level)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xUnlock(real, level);
}

static int walfile_reserved(sqlite3_file *file, int *out)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xCheckReservedLock(real, out);
}

static int walfile_control(sqlite3_file *file, int op, void *arg)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xFileControl(real, op, arg);
}

static int walfile_sector(sqlite3_file *file)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xSectorSize(real);
}

static int walfile_device(sqlite3_file *file)
{
	sqlite3_file *real = real_of(file);

	return real->pMethods->xDeviceCharacteristics(real);
}

/* Version 1: a -wal is never asked for shared memory or a mapping. */
static const sqlite3_io_methods walfile_methods = {
	.iVersion = 1,
	.xClose = walfile_close,
	.xRead = walfile_read,
	.xWrite = walfile_write,
	.xTruncate = walfile_truncate,
	.xSync = walfile_sync,
	.xFileSize = walfile_size,
	.xLock = walfile_lock,
	.xUnlock = walfile_unlock,
	.xCheckReservedLock = walfile_reserved,
	.xFileControl = walfile_control,
	.xSectorSize = walfile_sector,
	.xDeviceCharacteristics = walfile_device,
};

/* open_wal - an existing -wal as it is, else the default's way; behind
 * walfile_methods either way. */
static int open_wal(sqlite3_vfs *base, sqlite3_filename name,
    sqlite3_file *file, int flags, int *out_flags)
{
	struct walfile *wf = (struct walfile *)file;
	int err = SQLITE_CANTOPEN;

	wf->base.pMethods = NULL;
	wf->real = (sqlite3_file *)((char *)file + WALFILE_REAL_OFFSET);
	if (flags & SQLITE_OPEN_CREATE)
		err = base->xOpen(base, name, wf->real,
		    flags & ~SQLITE_OPEN_CREATE, out_flags);
	if (err != SQLITE_OK)
		err = base->xOpen(base, name, wf->real, flags, out_flags);
	if (err == SQLITE_OK)
		wf->base.pMethods = &walfile_methods;
	return err;
}

/* walvfs_open - xOpen: a -wal through open_wal(), the rest as the
 * default VFS opens it. */
static int walvfs_open(sqlite3_vfs *vfs, sqlite3_filename name,
    sqlite3_file *file, int flags, int *out_flags)
{
	sqlite3_vfs *base = vfs->pAppData;

	if (flags & SQLITE_OPEN_WAL)
		return open_wal(base, name, file, flags, out_flags);
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
	walvfs.szOsFile = (int)WALFILE_REAL_OFFSET + base->szOsFile;
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
