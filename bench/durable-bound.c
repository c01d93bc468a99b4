// How many objects per second this disk can make durable when nothing else runs: the bound under
// every server of issue 2's benchmark, and whether flushes shared across objects (one syncfs for
// all writers) would raise it. No network, no hashing, no index: each object is a new file in tmp/
// written with O_DIRECT (as Kakutei writes full buffers), flushed, linked under objects/ and its
// directory flushed — the first two flushes of Kakutei's acknowledgement, in its order.
//
//   gcc -O2 -o bench/out/durable-bound bench/durable-bound.c -lpthread
//   bench/out/durable-bound DIR MODE WRITERS OBJECTS_PER_WRITER
//
// MODE 0: fdatasync of the file, then fsync of the directory (per object, as Kakutei does).
// MODE 1: each of those two flushes replaced by a shared syncfs(2) of the whole filesystem; a
//         writer waits for one that started after it arrived, so writers arriving together share it.
// DIR must be new or empty (tmp/ and objects/ are made in it) and is left for the caller to remove.
// Not a test: figures are in bench/RESULTS.md (ninth session).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OBJECT_BYTES = 524288 + 4096, MAX_WRITERS = 64 };

static int shared_flush;
static int objects_per_writer;
static const char *root;
static int objects_dir_fd, root_fd;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static long syncs_started, syncs_finished;
static int sync_in_flight;

static void die(const char *what) {
  perror(what);
  exit(1);
}

// A syncfs that started after the caller arrived has finished when this returns.
static void shared_sync(void) {
  pthread_mutex_lock(&lock);
  long needed = syncs_started + 1;
  while (syncs_finished < needed) {
    if (sync_in_flight) {
      pthread_cond_wait(&changed, &lock);
      continue;
    }
    sync_in_flight = 1;
    long mine = ++syncs_started;
    pthread_mutex_unlock(&lock);
    if (syncfs(root_fd) != 0) die("syncfs");
    pthread_mutex_lock(&lock);
    sync_in_flight = 0;
    syncs_finished = mine;
    pthread_cond_broadcast(&changed);
  }
  pthread_mutex_unlock(&lock);
}

static double seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

static void *writer(void *arg) {
  long id = (long)arg;
  char *bytes;
  if (posix_memalign((void **)&bytes, 4096, OBJECT_BYTES) != 0) die("posix_memalign");
  memset(bytes, (int)id + 1, OBJECT_BYTES);
  for (int i = 0; i < objects_per_writer; i++) {
    char temp[4096], final[4096];
    snprintf(temp, sizeof temp, "%s/tmp/w%ld-%d", root, id, i);
    snprintf(final, sizeof final, "%s/objects/w%ld-%d", root, id, i);
    int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT, 0644);
    if (fd < 0) die("open");
    if (pwrite(fd, bytes, OBJECT_BYTES, 0) != OBJECT_BYTES) die("pwrite");
    if (shared_flush) shared_sync();
    else if (fdatasync(fd) != 0) die("fdatasync");
    if (link(temp, final) != 0) die("link");
    if (shared_flush) shared_sync();
    else if (fsync(objects_dir_fd) != 0) die("fsync directory");
    close(fd);
    unlink(temp);
  }
  free(bytes);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s DIR MODE(0|1) WRITERS OBJECTS_PER_WRITER\n", argv[0]);
    return 2;
  }
  root = argv[1];
  shared_flush = atoi(argv[2]);
  int writers = atoi(argv[3]);
  objects_per_writer = atoi(argv[4]);
  if (writers < 1 || writers > MAX_WRITERS || objects_per_writer < 1) die("arguments");
  char path[4096];
  snprintf(path, sizeof path, "%s/tmp", root);
  if (mkdir(path, 0755) != 0) die("mkdir tmp");
  snprintf(path, sizeof path, "%s/objects", root);
  if (mkdir(path, 0755) != 0) die("mkdir objects");
  objects_dir_fd = open(path, O_RDONLY | O_DIRECTORY);
  root_fd = open(root, O_RDONLY | O_DIRECTORY);
  if (objects_dir_fd < 0 || root_fd < 0) die("open directories");
  pthread_t threads[MAX_WRITERS];
  double start = seconds();
  for (long i = 0; i < writers; i++) pthread_create(&threads[i], NULL, writer, (void *)i);
  for (int i = 0; i < writers; i++) pthread_join(threads[i], NULL);
  double elapsed = seconds() - start;
  int objects = writers * objects_per_writer;
  double flushes = shared_flush ? (double)syncs_started / objects : 2.0;
  printf("%s, %d writer(s): %d objects in %.2f s = %.0f objects/s, %.2f flush calls per object\n",
         shared_flush ? "shared syncfs" : "fdatasync + directory fsync", writers, objects, elapsed, objects / elapsed, flushes);
  return 0;
}
