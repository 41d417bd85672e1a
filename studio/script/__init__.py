"""The exported Keras 3 training script: its command line, data reading (streamed in batches), the project's
preprocessing as Keras layers, devices (`keras.distribution`) and training. `studio.exchange.export_python`
writes it; the generated code needs only Keras, NumPy and a backend."""
