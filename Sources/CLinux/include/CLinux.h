#ifndef CLINUX_H
#define CLINUX_H

#include <spawn.h>
#include <sys/types.h>

/// Gives the disk blocks of [offset, offset + length) of `fd` back to the file system and
/// keeps the file's size (fallocate with FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE):
/// glibc declares fallocate's flags only under _GNU_SOURCE, which Swift's Glibc module
/// does not set. 0 on success, -1 with errno set.
int clinux_punch_hole(int fd, off_t offset, off_t length);

/// Adds to `actions` the closing of every descriptor from `lowest` up, in the child,
/// after the earlier actions (posix_spawn_file_actions_addclosefrom_np, glibc 2.34+,
/// declared only under _GNU_SOURCE). 0 on success, an error number otherwise.
int clinux_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// Opens a cpu-clock software perf event that samples at 49 Hz (disabled, so it never
/// fires), as bpftrace's `profile:hz` opens one per CPU: `pid` -1 and `cpu` N for a
/// CPU-wide event. perf_event_open has no glibc wrapper and syscall() is variadic, which
/// Swift does not import. The descriptor (close-on-exec), or -1 with errno set.
int clinux_open_cpu_clock_sampling_event(int pid, int cpu);

/// Names the calling thread for the kernel (what ps and gdb show; at most 15 bytes kept):
/// pthread_setname_np is declared only under _GNU_SOURCE. 0 on success, an error number
/// otherwise.
int clinux_name_this_thread(const char *name);

/// A descriptor that refers to process `pid` (pidfd_open(2), Linux 5.3): it becomes readable
/// once that process exits, and keeps referring to it if its pid is given to another.
/// glibc 2.36 declares pidfd_open only in <sys/pidfd.h>, which Swift's Glibc module does not
/// import. Close-on-exec. The descriptor, or -1 with errno set.
int clinux_pidfd_open(int pid);

/// The calling thread's kernel id (gettid(2)): what /proc/thread-self names. glibc declares
/// gettid only with _GNU_SOURCE, which Swift's Glibc module is not built with.
int clinux_gettid(void);

#endif
