#include <sys/inotify.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <inotifytools/inotifytools.h>

/// `struct inotify_event` ends in a flexible array, which Swift does not import.
static inline const char *kontextd_inotify_event_name(const struct inotify_event *event) {
    return event->len > 0 ? event->name : "";
}
