// HDF5 1.10 spells many of its constants as comma-expression macros (they call H5open() and
// then read a global). Swift cannot import those, so each is wrapped in a static inline
// function here, as are its error classes (globals behind macros too). The error-stack walker
// is here as well, because its callback is C.
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
static inline hid_t shard_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
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

// HDF5's error classes are globals (H5E_NOTFOUND_g, ...) behind macros, like the constants
// above: each class ShardTrain tells apart is returned by a function here. The default error
// stack, H5E_DEFAULT, is a plain 0, but is wrapped too so the Swift side never spells a
// number for it.
static inline hid_t shard_h5e_default(void) { return H5E_DEFAULT; }
// Major classes (where the error arose).
static inline hid_t shard_h5e_file(void) { return H5E_FILE; }           // file accessibility
static inline hid_t shard_h5e_io(void) { return H5E_IO; }               // low-level I/O
static inline hid_t shard_h5e_pline(void) { return H5E_PLINE; }         // data filters (deflate...)
static inline hid_t shard_h5e_cache(void) { return H5E_CACHE; }         // metadata cache
static inline hid_t shard_h5e_ohdr(void) { return H5E_OHDR; }           // object headers
static inline hid_t shard_h5e_btree(void) { return H5E_BTREE; }         // B-trees
// Minor classes (what went wrong).
static inline hid_t shard_h5e_notfound(void) { return H5E_NOTFOUND; }   // object not found
static inline hid_t shard_h5e_badtype(void) { return H5E_BADTYPE; }     // inappropriate type
static inline hid_t shard_h5e_nothdf5(void) { return H5E_NOTHDF5; }     // not an HDF5 file
static inline hid_t shard_h5e_truncated(void) { return H5E_TRUNCATED; } // file has been truncated
static inline hid_t shard_h5e_badfile(void) { return H5E_BADFILE; }     // bad file ID accessed
static inline hid_t shard_h5e_readerror(void) { return H5E_READERROR; }
static inline hid_t shard_h5e_writeerror(void) { return H5E_WRITEERROR; }
static inline hid_t shard_h5e_seekerror(void) { return H5E_SEEKERROR; }
static inline hid_t shard_h5e_cantload(void) { return H5E_CANTLOAD; }   // metadata will not load
static inline hid_t shard_h5e_cantdecode(void) { return H5E_CANTDECODE; }
static inline hid_t shard_h5e_badmesg(void) { return H5E_BADMESG; }     // unrecognised message
static inline hid_t shard_h5e_version(void) { return H5E_VERSION; }     // wrong version number
static inline hid_t shard_h5e_exists(void) { return H5E_EXISTS; }       // object already exists

// Copies the calling thread's HDF5 error stack, innermost entry (where HDF5 detected the
// failure) first and the API call last: at most `capacity` entries of major class, minor
// class and description (each description cut to `text_width` - 1 bytes). Returns the number
// of entries copied and clears the stack.
struct shard_h5_error_list {
    hid_t *majors;
    hid_t *minors;
    char *texts;
    size_t text_width;
    unsigned capacity;
    unsigned count;
};

static inline herr_t shard_h5_error_collector(unsigned n, const H5E_error2_t *err, void *data) {
    struct shard_h5_error_list *list = (struct shard_h5_error_list *)data;
    (void)n;
    if (!err || list->count >= list->capacity) return 0;
    char *text = list->texts + list->count * list->text_width;
    text[0] = 0;
    if (err->desc && list->text_width > 0) {
        strncpy(text, err->desc, list->text_width - 1);
        text[list->text_width - 1] = 0;
    }
    list->majors[list->count] = err->maj_num;
    list->minors[list->count] = err->min_num;
    list->count += 1;
    return 0;
}

static inline unsigned shard_h5_error_stack(hid_t *majors, hid_t *minors, char *texts,
                                            size_t text_width, unsigned capacity) {
    struct shard_h5_error_list list = {majors, minors, texts, text_width, capacity, 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, shard_h5_error_collector, &list);
    H5Eclear2(H5E_DEFAULT);
    return list.count;
}

// Number of attributes on an object, or -1 on failure (H5O_info_t differs across HDF5
// versions, so the struct stays on the C side).
static inline long long shard_h5_attribute_count(hid_t object) {
    H5O_info_t info;
    if (H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
    return (long long)info.num_attrs;
}

#endif
