/* Bun's musl builds need libstdc++.so.6, and Debian has no musl build of it:
   the prebuild check runs Bun with Debian's glibc libstdc++ and libgcc_s,
   and this library supplies the few glibc-only symbols they reference, in
   terms of musl's own functions. Test support only: it lets a musl runtime
   start, so that our musl prebuild can be loaded; it is never shipped. */
#include <locale.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <time.h>

char __libc_single_threaded = 0;

/* -1: "no fast lookup", so libgcc's unwinder falls back to dl_iterate_phdr. */
struct dl_find_object;
int _dl_find_object(void *pc, struct dl_find_object *result) {
  (void)pc;
  (void)result;
  return -1;
}

unsigned int arc4random(void) {
  unsigned int v = 0;
  while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
  }
  return v;
}

size_t __strftime_l(char *s, size_t max, const char *fmt, const struct tm *tm, locale_t loc) {
  return strftime_l(s, max, fmt, tm, loc);
}

unsigned long __getauxval(unsigned long type) { return getauxval(type); }

/* libgcc_s exports these under a non-default version, which musl's loader
   does not bind; zero means "no CPU features known", the generic paths. */
struct { unsigned int vendor, type, subtype, features[1]; } __cpu_model;
int __cpu_indicator_init(void) { return 0; }

/* thread_local destructors: run at thread exit through a pthread key. */
struct dtor {
  void (*fn)(void *);
  void *obj;
  struct dtor *next;
};
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void run_dtors(void *head) {
  for (struct dtor *d = head, *next; d; d = next) {
    next = d->next;
    d->fn(d->obj);
    free(d);
  }
}
static void make_key(void) { pthread_key_create(&key, run_dtors); }
int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso) {
  (void)dso;
  pthread_once(&once, make_key);
  struct dtor *d = malloc(sizeof *d);
  if (!d) return -1;
  d->fn = fn;
  d->obj = obj;
  d->next = pthread_getspecific(key);
  pthread_setspecific(key, d);
  return 0;
}
