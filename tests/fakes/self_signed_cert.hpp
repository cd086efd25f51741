// A self-signed certificate (EC P-256, CA:TRUE, SAN 127.0.0.1 and localhost, valid for a day)
// made in memory, for tests that run a TLS server on loopback.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace sl::testing {

struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};

namespace self_signed_detail {
template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace self_signed_detail

inline SelfSigned make_self_signed() {
  using self_signed_detail::Free;
  using self_signed_detail::bio_text;
  std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Free<X509, X509_free>> cert(X509_new());
  if (!key || !cert) std::abort();
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sightline test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) std::abort();
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) std::abort();
  std::unique_ptr<BIO, Free<BIO, BIO_free_all>> cert_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, Free<BIO, BIO_free_all>> key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return SelfSigned{bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

}  // namespace sl::testing
