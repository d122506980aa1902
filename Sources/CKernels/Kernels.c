#include "Kernels.h"

#include <string.h>

// exp(x) for x in [-87, 88]: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact
// k ln2), exp(r) by its degree-6 Taylor polynomial (truncation below 2e-7 relative), then
// times 2^k built in the exponent bits. Branch-free, so the loops below vectorise.
static inline float exp_poly(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float k = __builtin_rintf(x * 1.44269504088896341f);
    float r = x - k * 0.693145751953125f;
    r = r - k * 1.428606765330187e-06f;
    float p = 1.3888889e-3f;
    p = p * r + 8.3333333e-3f;
    p = p * r + 4.1666668e-2f;
    p = p * r + 1.6666667e-1f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int bits = ((int)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

void shard_exp(const float *x, float *y, long count) {
    for (long i = 0; i < count; i++) y[i] = exp_poly(x[i]);
}

void shard_sigmoid_in_place(float *x, long count) {
    for (long i = 0; i < count; i++) {
        float z = x[i];
        float e = exp_poly(z < 0 ? z : -z);  // exp(-|z|) in (0, 1]: no overflow
        float s = 1.0f / (1.0f + e);
        x[i] = z >= 0 ? s : e * s;
    }
}

void shard_tanh_in_place(float *x, long count) {
    for (long i = 0; i < count; i++) {
        float z = x[i];
        float a = z < 0 ? -z : z;
        float e = exp_poly(-2.0f * a);
        float t = (1.0f - e) / (1.0f + e);
        // Near 0, 1 - e cancels: there use the odd series to z^9, whose next term is below
        // 3e-9 for |z| < 1/4.
        float z2 = z * z;
        float series = z * (1.0f + z2 * (-0.33333334f + z2 * (0.13333334f
                            + z2 * (-0.053968254f + z2 * 0.021869488f))));
        float signed_t = z < 0 ? -t : t;
        x[i] = a < 0.25f ? series : signed_t;
    }
}
