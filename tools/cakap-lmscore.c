// cakap-lmscore: how much more likely a language model finds each candidate correction of a
// sentence than the sentence itself (Bryant & Briscoe 2018), for the tutor's scored edits.
// Built by `cakap setup` (Provisioner.ensureLMScore) against the llama.cpp it builds.
// Usage: cakap-lmscore MODEL.gguf INPUT [THREADS]   (INPUT "-": standard input, answered line by line)
// Each INPUT line: "K<TAB>base<TAB>candidate<TAB>candidate...". Each output line:
// "base_logprob<TAB>gain<TAB>gain...", where a gain is log P(candidate window) - log P(base
// window) in nats; the window runs from the first token that differs to K tokens past the last
// (K < 0: to the end). The base is decoded once; candidates reuse its prefix and are decoded
// together in one batch. A line that cannot be scored prints "nan".
#include "llama.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 512
#define MAX_CANDIDATES 63
#define MAX_LINE 262144

static const struct llama_vocab *vocab;
static int vocab_size;

static void quiet(enum ggml_log_level level, const char *text, void *data) { (void)level; (void)text; (void)data; }

static double logprob(struct llama_context *ctx, int index, llama_token next) {
    const float *logits = llama_get_logits_ith(ctx, index);
    double max = -1e30, sum = 0;
    for (int v = 0; v < vocab_size; v++) if (logits[v] > max) max = logits[v];
    for (int v = 0; v < vocab_size; v++) sum += exp(logits[v] - max);
    return logits[next] - max - log(sum);
}

static int tokenize(const char *text, llama_token *out) {
    out[0] = llama_vocab_bos(vocab);
    int n = llama_tokenize(vocab, text, (int)strlen(text), out + 1, MAX_TOKENS - 1, false, false);
    return n < 0 ? -1 : n + 1;
}

static void add(struct llama_batch *batch, llama_token token, int pos, int seq) {
    int j = batch->n_tokens++;
    batch->token[j] = token; batch->pos[j] = pos; batch->n_seq_id[j] = 1; batch->seq_id[j][0] = seq; batch->logits[j] = 1;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: cakap-lmscore MODEL INPUT [THREADS]\n"); return 2; }
    FILE *input = strcmp(argv[2], "-") == 0 ? stdin : fopen(argv[2], "r");
    if (!input) { fprintf(stderr, "cannot read %s\n", argv[2]); return 2; }
    if (input == stdin) setvbuf(stdout, NULL, _IOLBF, 0);  // answered line by line
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model *model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    struct llama_context_params params = llama_context_default_params();
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    params.n_ctx = 8192; params.n_batch = 8192; params.n_ubatch = 512;
    params.n_seq_max = MAX_CANDIDATES + 1; params.kv_unified = true;
    params.n_threads = threads; params.n_threads_batch = threads;
    struct llama_context *ctx = llama_init_from_model(model, params);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }
    vocab = llama_model_get_vocab(model);
    vocab_size = llama_vocab_n_tokens(vocab);
    llama_memory_t memory = llama_get_memory(ctx);
    struct llama_batch batch = llama_batch_init(8192, 0, 1);
    static char line[MAX_LINE];
    static llama_token base[MAX_TOKENS], candidate[MAX_CANDIDATES][MAX_TOKENS];
    static double base_logprob[MAX_TOKENS];
    while (fgets(line, sizeof line, input)) {
        size_t length = strlen(line);
        if (length && line[length - 1] == '\n') line[--length] = 0;
        char *fields[MAX_CANDIDATES + 2];
        int count = 0;
        char *save = NULL;
        for (char *f = strtok_r(line, "\t", &save); f && count < MAX_CANDIDATES + 2; f = strtok_r(NULL, "\t", &save))
            fields[count++] = f;
        int nb = count >= 2 ? tokenize(fields[1], base) : -1;
        if (nb < 2) { printf("nan\n"); continue; }
        int K = atoi(fields[0]);
        llama_memory_clear(memory, true);
        batch.n_tokens = 0;
        for (int i = 0; i < nb; i++) add(&batch, base[i], i, 0);
        if (llama_decode(ctx, batch)) { printf("nan\n"); continue; }
        double total = 0;
        for (int i = 0; i + 1 < nb; i++) { base_logprob[i + 1] = logprob(ctx, i, base[i + 1]); total += base_logprob[i + 1]; }
        int candidates = count - 2, prefix[MAX_CANDIDATES], end[MAX_CANDIDATES], base_end[MAX_CANDIDATES], first[MAX_CANDIDATES];
        int failed = 0;
        batch.n_tokens = 0;
        for (int c = 0; c < candidates; c++) {
            int n = tokenize(fields[c + 2], candidate[c]);
            if (n < 2) { failed = 1; break; }
            int p = 0;
            while (p < n && p < nb && candidate[c][p] == base[p]) p++;
            int s = 0;
            while (s < n - p && s < nb - p && candidate[c][n - 1 - s] == base[nb - 1 - s]) s++;
            int k = K < 0 || K > s ? s : K;
            if (p == 0) p = 1;  // the BOS is shared
            prefix[c] = p; end[c] = n - s + k; base_end[c] = nb - s + k;
            // The candidate's sequence shares the base's cache up to the first difference.
            llama_memory_seq_rm(memory, c + 1, -1, -1);
            llama_memory_seq_cp(memory, 0, c + 1, 0, p - 1);
            first[c] = batch.n_tokens;
            for (int i = p - 1; i < end[c] - 1; i++) add(&batch, candidate[c][i], i, c + 1);
        }
        if (failed || (batch.n_tokens > 0 && llama_decode(ctx, batch))) { printf("nan\n"); continue; }
        printf("%.4f", total);
        for (int c = 0; c < candidates; c++) {
            double gain = 0;
            for (int i = prefix[c]; i < end[c]; i++) gain += logprob(ctx, first[c] + (i - prefix[c]), candidate[c][i]);
            for (int i = prefix[c]; i < base_end[c]; i++) gain -= base_logprob[i];
            printf("\t%.4f", gain);
        }
        printf("\n");
    }
    fflush(stdout);
    return 0;
}