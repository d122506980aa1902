// HDF5 1.10 spells many of its constants as comma-expression macros (they call H5open() and
// then read a global). Swift cannot import those, so each is wrapped in a static inline
// function here. Nothing else lives in this file.
#ifndef SHARDTRAIN_CHDF5_SHIM_H
#define SHARDTRAIN_CHDF5_SHIM_H

#include <hdf5.h>
#include <string.h>

static inline hid_t shard_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t shard_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t shard_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t shard_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t shard_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t shard_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t shard_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t shard_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t shard_h5p_default(void) { return H5P_DEFAULT; }
static inline unsigned shard_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned shard_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned shard_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned shard_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline size_t shard_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t shard_h5s_all(void) { return H5S_ALL; }

// Silences HDF5's own printing of its error stack to stderr; errors are reported by the
// Swift layer instead, with the file and object path.
static inline void shard_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

struct shard_h5_error_buffer {
    char *text;
    size_t capacity;
};

static inline herr_t shard_h5_error_walker(unsigned n, const H5E_error2_t *err, void *data) {
    struct shard_h5_error_buffer *buffer = (struct shard_h5_error_buffer *)data;
    // The innermost entry (n == 0 when walking downward is the outermost API call); keep
    // the most specific description, the deepest one, which is the last visited.
    (void)n;
    if (err && err->desc && buffer->capacity > 0) {
        strncpy(buffer->text, err->desc, buffer->capacity - 1);
        buffer->text[buffer->capacity - 1] = 0;
    }
    return 0;
}

// Copies the deepest description of the current thread's HDF5 error stack into `text`
// (empty when the stack is empty) and clears the stack.
static inline void shard_h5_last_error(char *text, size_t capacity) {
    struct shard_h5_error_buffer buffer = {text, capacity};
    if (capacity > 0) text[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, shard_h5_error_walker, &buffer);
    H5Eclear2(H5E_DEFAULT);
}

// Number of attributes on an object, or -1 on failure (H5O_info_t differs across HDF5
// versions, so the struct stays on the C side).
static inline long long shard_h5_attribute_count(hid_t object) {
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
    return (long long)info.num_attrs;
}

#endif
