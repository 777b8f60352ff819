/* The smallest embedding of mobiq: open a .mbq model, feed a prompt, stream the continuation to
 * stdout, print the session's figures to stderr. Build it against an installed mobiq with the
 * CMakeLists.txt beside it (find_package(mobiq)) or with pkg-config:
 *   cc chat_min.c $(pkg-config --cflags --libs --static mobiq) -o chat_min
 * Usage: chat_min MODEL.mbq PROMPT [MAX_TOKENS [BITS]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobiq/mobiq.h>

static int print_piece(void* user, const char* piece, size_t len, int32_t token) {
  (void)user;
  (void)token;
  fwrite(piece, 1, len, stdout);
  fflush(stdout);
  return 0; /* non-zero would stop the generation here */
}

static int report(const char* what, mobiq_status status) {
  fprintf(stderr, "chat_min: %s: %s (%s)\n", what, mobiq_last_error_message(), mobiq_status_name(status));
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.mbq PROMPT [MAX_TOKENS [BITS]]\n", argv[0]);
    return 2;
  }
  const int32_t max_tokens = argc > 3 ? (int32_t)atoi(argv[3]) : 32;
  const double bits = argc > 4 ? atof(argv[4]) : 0.0;

  mobiq_model* model = NULL;
  mobiq_status status = mobiq_model_open(argv[1], NULL, &model);
  if (status != MOBIQ_OK) return report("open", status);

  mobiq_session_options options;
  mobiq_session_options_init(&options);
  options.context_size = 512;
  options.temperature = 0.0f; /* greedy: the same output every run */
  mobiq_session* session = NULL;
  status = mobiq_session_create(model, &options, &session);
  /* The session holds its own reference: the model handle can go now. */
  mobiq_model_close(model);
  if (status != MOBIQ_OK) return report("session", status);

  if (bits > 0.0 && (status = mobiq_session_set_budget_bits(session, bits)) != MOBIQ_OK) {
    mobiq_session_close(session);
    return report("budget", status);
  }
  status = mobiq_session_feed_text(session, argv[2], strlen(argv[2]), 1);
  if (status != MOBIQ_OK) {
    mobiq_session_close(session);
    return report("prompt", status);
  }
  fputs(argv[2], stdout);
  mobiq_generate_result result;
  status = mobiq_session_generate(session, max_tokens, print_piece, NULL, &result);
  fputc('\n', stdout);
  if (status != MOBIQ_OK) {
    mobiq_session_close(session);
    return report("generate", status);
  }

  mobiq_stats stats;
  if (mobiq_session_get_stats(session, &stats) == MOBIQ_OK)
    fprintf(stderr, "mobiq %s | %lld tokens, %.1f tok/s | %.1f bits per weight (%s) | %d planes resident\n",
            mobiq_version(), (long long)result.tokens, stats.tokens_per_second, stats.bits_per_weight,
            stats.budget_reason, (int)stats.resident_planes);
  mobiq_session_close(session);
  return 0;
}
