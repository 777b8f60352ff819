/* Soak test of the public C API (scripts/soak.sh runs it; not part of ctest): generates TOKENS tokens
 * (default 10000) one call at a time, with the fixed budget changed before every token and, every 100
 * tokens, one token under an automatic budget whose policy caps the resident slice planes (cycling
 * 4, 3, 2, 1: planes given back with madvise and faulted in again). The public API has no slice-cap
 * call; a policy's cap.resident_planes is how an application caps the slices a session keeps. The
 * context is reset and the prompt fed again whenever it fills. Prints RSS every 1000 tokens and fails
 * (exit 1) when RSS grows more than 8 MiB between the first report after warm-up and the last.
 * Usage: soak MODEL.mbq [TOKENS]
 * Leaks: the program links with -fsanitize=leak where the compiler has it; LeakSanitizer then reports
 * any allocation not freed at exit and makes the exit status non-zero. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mobiq/mobiq.h"

static long rss_kib(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  long pages_total = 0, pages_resident = 0;
  if (f == NULL) return -1;
  if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = -1;
  fclose(f);
  return pages_resident * 4; /* 4 KiB pages */
}

static int check(mobiq_status status, const char* what) {
  if (status == MOBIQ_OK) return 1;
  fprintf(stderr, "soak: %s: %s: %s\n", what, mobiq_status_name(status), mobiq_last_error_message());
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: soak MODEL.mbq [TOKENS]\n");
    return 2;
  }
  const long total = argc > 2 ? atol(argv[2]) : 10000;
  const char* prompt = "The president said that the state of the union";
  mobiq_model* model = NULL;
  mobiq_session* session = NULL;
  mobiq_session_options options;
  int ok = check(mobiq_model_open(argv[1], NULL, &model), "open");
  mobiq_session_options_init(&options);
  options.context_size = 512;
  options.n_threads = 2;
  options.seed = 42;
  ok = ok && check(mobiq_session_create(model, &options, &session), "session");
  ok = ok && check(mobiq_session_feed_text(session, prompt, strlen(prompt), 1), "feed");
  long warm_rss = 0, last_rss = 0, resets = 0;
  for (long t = 0; ok && t < total; ++t) {
    if (t % 100 == 99) {
      /* One token under a policy capping the resident planes: 4, 3, 2, 1, 4, ... */
      const int planes = 4 - (int)((t / 100) % 4);
      char policy[256];
      mobiq_auto_budget_options auto_options;
      snprintf(policy, sizeof policy,
               "{\"version\": 1, \"min_dwell_tokens\": 0, \"cap\": {\"bits\": %d.0, \"resident_planes\": %d}, "
               "\"rules\": []}",
               2 * planes, planes);
      mobiq_auto_budget_options_init(&auto_options);
      auto_options.policy_json = policy;
      auto_options.state_root = "/nonexistent-soak-root"; /* no device readings: the cap alone decides */
      ok = check(mobiq_session_set_budget_auto(session, &auto_options), "auto budget");
    } else {
      /* A different fixed budget every token: 2.0, 2.25, ..., 8.0, 2.0, ... */
      ok = check(mobiq_session_set_budget_bits(session, 2.0 + 0.25 * (double)(t % 25)), "budget");
    }
    mobiq_generate_result result;
    ok = ok && check(mobiq_session_generate(session, 1, NULL, NULL, &result), "generate");
    if (ok && result.tokens == 0) { /* a full context or EOS: start again */
      ++resets;
      ok = check(mobiq_session_reset(session), "reset") &&
           check(mobiq_session_feed_text(session, prompt, strlen(prompt), 1), "feed");
    }
    if ((t + 1) % 1000 == 0) {
      mobiq_stats stats;
      ok = ok && check(mobiq_session_get_stats(session, &stats), "stats");
      last_rss = rss_kib();
      if (t + 1 == 2000) warm_rss = last_rss; /* after warm-up: caches, the first resets */
      printf("tokens %6ld  rss %7ld KiB  resets %4ld  budget %.2f bits  resident planes %d\n", t + 1, last_rss,
             resets, stats.budget_bits, stats.resident_planes);
      fflush(stdout);
    }
  }
  if (session != NULL) ok = check(mobiq_session_close(session), "close session") && ok;
  if (model != NULL) ok = check(mobiq_model_close(model), "close model") && ok;
  if (!ok) return 1;
  if (warm_rss > 0 && last_rss - warm_rss > 8 * 1024) {
    printf("soak: RSS grew %ld KiB after warm-up (%ld -> %ld KiB)\n", last_rss - warm_rss, warm_rss, last_rss);
    return 1;
  }
  printf("soak: %ld tokens, RSS %ld -> %ld KiB after warm-up (%+ld KiB)\n", total, warm_rss, last_rss,
         last_rss - warm_rss);
  return 0;
}
