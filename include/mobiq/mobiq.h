/*
 * mobiq C API (C99): open a .mbq model, run sessions on it at an elastic precision, stream tokens.
 *
 * Errors. Every fallible function returns a mobiq_status; MOBIQ_OK is 0. Nothing throws or aborts
 * across this API: bad input, a null or closed handle, an allocation failure all come back as a
 * status. mobiq_last_error_message() gives the message of the last failing call on the calling
 * thread (errno style: a per-thread slot, so it needs no handle and works when open itself fails).
 *
 * Ownership. Handles are opaque. A model is reference counted: every session holds a reference, so
 * mobiq_model_close() may be called while sessions are alive; the weights are released when the
 * last session closes. A handle passed to a *_close function is invalid afterwards; mobiq detects a
 * closed handle passed to it again (MOBIQ_INVALID_ARGUMENT) as long as its address has not been
 * reused by a newer handle, so do not rely on that check: forget a handle once closed.
 *
 * Threads.
 *  - A model may be shared by any number of sessions on any threads; its functions (tokenize,
 *    detokenize, info, session creation) may be called concurrently. mobiq_model_close() must not
 *    race with another call on the same model handle (sessions already created are unaffected).
 *  - A session is used by one thread at a time, with two exceptions:
 *    - mobiq_session_request_stop(): any thread, any time, including while another thread is inside
 *      mobiq_session_generate() on that session, and even while another thread closes it. It takes a
 *      lock, so it is not async-signal-safe: from a signal handler, set a flag of your own and return
 *      non-zero from the token callback (or call request_stop from a normal thread).
 *    - mobiq_session_set_budget_bits(): any thread, any time except concurrently with closing the
 *      session (e.g. a battery or thermal monitor while another thread generates). The budget is
 *      checked at once; if another thread is using the session, that thread applies it before its
 *      next token (mobiq_session_get_stats() shows it from then on).
 *  - The token callback runs on the thread that called mobiq_session_generate(); it must not call
 *    functions of the same session other than mobiq_session_request_stop(),
 *    mobiq_session_set_budget_bits() and mobiq_session_get_stats().
 *
 * Precision. A budget is the average number of bits per weight of the model's sliced linears, 2.0 to
 * 2 x (slice planes in the file), normally 8.0. It is either fixed (mobiq_session_set_budget_bits) or
 * automatic (mobiq_session_set_budget_auto: device probes and a policy pick it every few tokens). A
 * change takes effect at the next token, with no reload.
 */
#ifndef MOBIQ_MOBIQ_H_
#define MOBIQ_MOBIQ_H_

#include <stddef.h>
#include <stdint.h>

#include "mobiq/version.h"

#if defined(_WIN32)
#if defined(MOBIQ_BUILDING_LIBRARY)
#define MOBIQ_API __declspec(dllexport)
#else
#define MOBIQ_API
#endif
#else
#define MOBIQ_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------------------- */

/* Mirrors the runtime's ErrorCode, value for value. */
typedef enum mobiq_status {
  MOBIQ_OK = 0,
  MOBIQ_INVALID_ARGUMENT = 1, /* a malformed argument, a null or closed handle */
  MOBIQ_NOT_FOUND = 2,        /* a file or key that should exist does not */
  MOBIQ_IO_ERROR = 3,         /* the OS refused a read, open or mmap */
  MOBIQ_CORRUPT_FILE = 4,     /* the file exists but its bytes are wrong (magic, checksum, bounds) */
  MOBIQ_UNSUPPORTED = 5,      /* well-formed input this build cannot handle */
  MOBIQ_OUT_OF_RANGE = 6,     /* a value past a limit: budget, full context, small output buffer */
  MOBIQ_OUT_OF_MEMORY = 7,    /* an allocation failed */
  MOBIQ_CANCELLED = 8,        /* the caller asked to stop */
  MOBIQ_INTERNAL = 9,         /* a broken invariant inside mobiq: a bug, reported */
  /* Not a value: makes every enum of this header int-sized, so any int a caller passes is a value
   * of the type (and an unknown one gets an error, not undefined behaviour). */
  MOBIQ_STATUS_MAX_ENUM = 0x7fffffff
} mobiq_status;

/* "invalid argument", "corrupt file", ...; a static string, never NULL. */
MOBIQ_API const char* mobiq_status_name(mobiq_status status);

/* The message of the last call on this thread that failed ("corrupt file: segment 12 checksum
 * mismatch"); "" when none has. Valid until the next failing call on this thread. Never NULL. */
MOBIQ_API const char* mobiq_last_error_message(void);

/* The linked library's version, "0.1.0" (compare with MOBIQ_VERSION_STRING from the header). */
MOBIQ_API const char* mobiq_version(void);

/* ---- models ------------------------------------------------------------------------------- */

typedef struct mobiq_model mobiq_model;

typedef struct mobiq_model_options {
  int verify_checksums; /* non-zero (default): check every segment's XXH3-64 at open */
} mobiq_model_options;

MOBIQ_API void mobiq_model_options_init(mobiq_model_options* options);

/* Opens a .mbq file. options may be NULL (defaults). On success *out_model is a new handle; on
 * failure it is set to NULL. */
MOBIQ_API mobiq_status mobiq_model_open(const char* path, const mobiq_model_options* options,
                                        mobiq_model** out_model);

/* Drops the caller's reference; sessions created from the model keep it alive until they close. */
MOBIQ_API mobiq_status mobiq_model_close(mobiq_model* model);

typedef struct mobiq_model_info {
  int32_t vocab_size;
  int32_t n_layers;
  int32_t max_position; /* the longest context the model was trained for */
  int32_t max_slices;   /* 2-bit slice planes per linear (1..4); max budget = 2 x max_slices */
  int32_t bos_id;       /* -1 when none */
  int32_t eos_id;       /* the first end-of-sequence id; -1 when none */
} mobiq_model_info;

MOBIQ_API mobiq_status mobiq_model_get_info(const mobiq_model* model, mobiq_model_info* out_info);

/* Text -> token ids. add_bos non-zero puts the model's BOS in front (when its tokenizer adds one).
 * Writes at most `capacity` ids; *out_count receives the number of ids the text needs. When
 * capacity is too small nothing is written and MOBIQ_OUT_OF_RANGE is returned (so a call with
 * tokens = NULL, capacity = 0 asks for the size). */
MOBIQ_API mobiq_status mobiq_tokenize(const mobiq_model* model, const char* text, size_t text_len, int add_bos,
                                      int32_t* tokens, size_t capacity, size_t* out_count);

/* Token ids -> text, NUL-terminated. *out_len receives the text's length without the NUL; when
 * capacity < *out_len + 1 nothing is written and MOBIQ_OUT_OF_RANGE is returned. Control tokens
 * (BOS, EOS) decode to nothing. */
MOBIQ_API mobiq_status mobiq_detokenize(const mobiq_model* model, const int32_t* tokens, size_t count, char* text,
                                        size_t capacity, size_t* out_len);

/* ---- sessions ----------------------------------------------------------------------------- */

typedef struct mobiq_session mobiq_session;

typedef struct mobiq_session_options {
  int32_t context_size; /* positions the KV cache holds (default 2048) */
  int32_t n_threads;    /* CPU threads; 0 (default): one per core */
  const char* backend;  /* "cpu", or NULL / "auto" (default): the best backend present */
  float temperature;    /* sampling; <= 0: greedy (default 0.8) */
  int32_t top_k;        /* <= 0: whole vocabulary (default 40) */
  float top_p;          /* >= 1: no nucleus cut (default 0.95) */
  uint64_t seed;        /* same seed, prompt and budget: same tokens (default 0) */
} mobiq_session_options;

MOBIQ_API void mobiq_session_options_init(mobiq_session_options* options);

/* options may be NULL (defaults). On failure *out_session is set to NULL. */
MOBIQ_API mobiq_status mobiq_session_create(mobiq_model* model, const mobiq_session_options* options,
                                            mobiq_session** out_session);
MOBIQ_API mobiq_status mobiq_session_close(mobiq_session* session);

/* Fixed budget, 2.0 .. 2 x max_slices bits per weight (MOBIQ_OUT_OF_RANGE outside, MOBIQ_INVALID_ARGUMENT
 * for NaN). Leaves the automatic mode. May be called from any thread (see Threads above). */
MOBIQ_API mobiq_status mobiq_session_set_budget_bits(mobiq_session* session, double bits);

typedef struct mobiq_auto_budget_options {
  const char* policy_json; /* a policy as JSON text; NULL: policy_path, else the built-in policy */
  const char* policy_path; /* a policy JSON file; used when policy_json is NULL */
  const char* state_root;  /* where the device probes read sysfs/procfs; NULL (default): "/" */
  int32_t probe_interval;  /* generated tokens between two probes (default 8, >= 1) */
} mobiq_auto_budget_options;

MOBIQ_API void mobiq_auto_budget_options_init(mobiq_auto_budget_options* options);

/* Automatic budget: the device is probed now and every probe_interval generated tokens, and the
 * policy's budget applies from the next token. options may be NULL (defaults). */
MOBIQ_API mobiq_status mobiq_session_set_budget_auto(mobiq_session* session,
                                                     const mobiq_auto_budget_options* options);

/* Appends a prompt to the sequence. add_bos non-zero puts the model's BOS in front. */
MOBIQ_API mobiq_status mobiq_session_feed_text(mobiq_session* session, const char* text, size_t text_len,
                                               int add_bos);
MOBIQ_API mobiq_status mobiq_session_feed_tokens(mobiq_session* session, const int32_t* tokens, size_t count);

/* Called once per generated token with its text (bytes, not NUL-terminated; may end inside a UTF-8
 * character, which the next piece completes). Return non-zero to stop generating. */
typedef int (*mobiq_token_callback)(void* user, const char* piece, size_t len, int32_t token);

typedef enum mobiq_stop_reason {
  MOBIQ_STOP_MAX_TOKENS = 0,   /* max_tokens were generated */
  MOBIQ_STOP_EOS = 1,          /* the model produced end-of-sequence (not fed, not reported) */
  MOBIQ_STOP_CONTEXT_FULL = 2, /* the KV cache is full */
  MOBIQ_STOP_CALLBACK = 3,     /* the callback returned non-zero */
  MOBIQ_STOP_REQUESTED = 4,    /* mobiq_session_request_stop() */
  MOBIQ_STOP_MAX_ENUM = 0x7fffffff
} mobiq_stop_reason;

typedef struct mobiq_generate_result {
  int64_t tokens;                /* tokens generated (and fed) by this call */
  mobiq_stop_reason stop_reason;
} mobiq_generate_result;

/* Samples up to max_tokens tokens (< 0: until EOS, a full context or a stop), feeding each one and
 * passing it to on_token (may be NULL). A prompt must have been fed. out_result may be NULL. Stopping
 * (callback or request) is not an error: the status is MOBIQ_OK and stop_reason says why. */
MOBIQ_API mobiq_status mobiq_session_generate(mobiq_session* session, int32_t max_tokens,
                                              mobiq_token_callback on_token, void* user,
                                              mobiq_generate_result* out_result);

/* Asks a running (or the next) mobiq_session_generate() to return before its next token. Any thread,
 * any time. The request is consumed when a generate returns because of it, and by a reset. */
MOBIQ_API mobiq_status mobiq_session_request_stop(mobiq_session* session);

/* Forgets the sequence (the KV cache) and restarts the sampler from its seed; keeps the budget. */
MOBIQ_API mobiq_status mobiq_session_reset(mobiq_session* session);

typedef enum mobiq_budget_mode {
  MOBIQ_BUDGET_FIXED = 0,
  MOBIQ_BUDGET_AUTO = 1,
  MOBIQ_BUDGET_MAX_ENUM = 0x7fffffff
} mobiq_budget_mode;

typedef struct mobiq_stats {
  double bits_per_weight;           /* code bits per sliced weight the last token read */
  double budget_bits;               /* the budget now in force */
  mobiq_budget_mode budget_mode;
  char budget_reason[160];          /* why the budget is what it is ("battery 18% -> 2.5 bits") */
  double prompt_tokens_per_second;  /* over the prompts fed since create/reset */
  double tokens_per_second;         /* generation, over the tokens generated since create/reset */
  int64_t prompt_tokens;
  int64_t generated_tokens;
  int32_t position;                 /* KV cache positions filled */
  int32_t context_size;
  uint64_t resident_bytes;          /* bytes of the slice planes kept resident */
  int32_t resident_planes;          /* slice planes kept resident (1..max_slices) */
} mobiq_stats;

MOBIQ_API mobiq_status mobiq_session_get_stats(const mobiq_session* session, mobiq_stats* out_stats);

/* ---- spend control -------------------------------------------------------------------------
 * The routers' thresholds are calibrated on one text; on another they read more or fewer bits than
 * the budget. By default a session measures what every forward pass read and moves the thresholds so
 * its spend meets the budget. (A function pair rather than new fields in mobiq_session_options and
 * mobiq_stats: those structs are copied whole, so growing them would break callers built against an
 * older header.) */
typedef enum mobiq_spend_mode {
  MOBIQ_SPEND_AVERAGE = 0, /* default: the mean since the budget was set converges to the budget */
  MOBIQ_SPEND_CAP = 1,     /* no window of 128 tokens reads more than the budget (hard limits) */
  MOBIQ_SPEND_OPEN = 2,    /* the calibrated thresholds, uncorrected (experiments) */
  MOBIQ_SPEND_MAX_ENUM = 0x7fffffff
} mobiq_spend_mode;
/* Restarts the control at the current budget. An automatic budget whose policy names a
 * "budget_mode" sets it when it starts. */
MOBIQ_API mobiq_status mobiq_session_set_spend_mode(mobiq_session* session, mobiq_spend_mode mode);
typedef struct mobiq_spend_stats {
  mobiq_spend_mode mode;
  double budget_bits;      /* the budget in force */
  double spend_bits;       /* mean bits per weight read since it was set (routers counted); 0 before a token */
  int64_t tokens;          /* tokens that mean is over */
  double threshold_offset; /* what the control adds to every router threshold now (score units) */
} mobiq_spend_stats;
MOBIQ_API mobiq_status mobiq_session_get_spend(const mobiq_session* session, mobiq_spend_stats* out_spend);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MOBIQ_MOBIQ_H_ */
