# The image holds one static binary, a CA bundle and a passwd entry: no shell,
# no package manager. Its build context is dist/image, prepared by `make image`
# from a binary built on the host (no base or builder image can be pulled).
FROM scratch
COPY passwd /etc/passwd
COPY group /etc/group
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY clusterpair-fn clusterpair-fn-full /usr/local/bin/
# Relative paths in requests resolve against the working directory; mount the
# kustomization (or kpt package) here.
WORKDIR /work
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/clusterpair-fn"]
