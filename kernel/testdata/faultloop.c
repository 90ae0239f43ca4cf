// faultloop: the faults workload of the kernel strategy as a plain C loop,
// the floor the Go harness is held against. Each of THREADS threads
// (default 1), pinned to one CPU it may run on as the runner pins its
// workers, maps PAGES pages of private anonymous memory of its own with
// base pages only (MADV_NOHUGEPAGE), then writes one byte to every page
// (one page fault each) and resets them with madvise(MADV_DONTNEED), over
// and over: a warm-up of 0.2 s, then SECONDS timed.
//
// usage: faultloop PAGES SECONDS [THREADS]
// prints: faults=N ns/fault=X minflt/fault=Y
// where ns/fault is the longest thread's timed window over all threads'
// faults, as the harness's ns/op, and minflt/fault counts each thread's own minor faults
// (getrusage(RUSAGE_THREAD)).
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long pages, ps;
static double secs;
static atomic_int ready;
static int nthreads;

struct worker {
	int cpu;
	long faults, minflt;
	double elapsed;
	pthread_t tid;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

// pass faults every page of p in and releases them again.
static void pass(volatile char *p)
{
	for (long i = 0; i < pages; i++)
		p[i * ps] = 1;
	if (madvise((void *)p, pages * ps, MADV_DONTNEED)) {
		perror("madvise(MADV_DONTNEED)");
		exit(1);
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;
	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		sched_setaffinity(0, sizeof set, &set);
	}
	char *p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	madvise(p, pages * ps, MADV_NOHUGEPAGE);

	// Start together, warm up, then time the window.
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < nthreads)
		;
	for (double end = now() + 0.2; now() < end;)
		pass(p);
	long f0 = minflt(), n = 0;
	double t0 = now(), t;
	do {
		pass(p);
		n += pages;
	} while ((t = now()) < t0 + secs);
	w->faults = n;
	w->elapsed = t - t0;
	w->minflt = minflt() - f0;
	munmap(p, pages * ps);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: faultloop PAGES SECONDS [THREADS]\n");
		return 2;
	}
	pages = atol(argv[1]);
	secs = atof(argv[2]);
	nthreads = argc == 4 ? atoi(argv[3]) : 1;
	ps = sysconf(_SC_PAGESIZE);
	if (pages < 1 || secs <= 0 || nthreads < 1) {
		fprintf(stderr, "faultloop: bad PAGES, SECONDS or THREADS\n");
		return 2;
	}

	int cpus[CPU_SETSIZE], ncpus = 0;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpus[ncpus++] = c;

	struct worker *ws = calloc(nthreads, sizeof *ws);
	for (int i = 0; i < nthreads; i++) {
		ws[i].cpu = ncpus > 0 ? cpus[i % ncpus] : -1;
		if (pthread_create(&ws[i].tid, NULL, run, &ws[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	long n = 0, f = 0;
	double elapsed = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].tid, NULL);
		n += ws[i].faults;
		f += ws[i].minflt;
		if (ws[i].elapsed > elapsed)
			elapsed = ws[i].elapsed;
	}
	printf("faults=%ld ns/fault=%.1f minflt/fault=%.3f\n", n, elapsed * 1e9 / n, (double)f / n);
	return 0;
}
