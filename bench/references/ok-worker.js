// Reference 1, the runtime ceiling: a bare workerd Worker that answers `ok`. Nothing can be faster on this runtime.
export default {
  fetch() {
    return new Response('ok');
  },
};
